// The framing between SshRunner and the remote executor: a POSIX sh loop started once per
// pooled session through the user's login shell, then fed one command at a time over its
// channel. Pure functions and a byte-stream parser, no I/O (remote_executor.h does that).
//
// Start: the exec line bootstrap_command() reads one line from stdin and evals it; the
// client sends script_line(nonce) as that line. The script answers "<nonce> <pid>\n" once
// it is ready; whatever the login shell printed before (a chatty .bashrc) is skipped.
// Request: "<lines> <stdin bytes>\n" + the command line (quote_command(argv), its newlines
// counted in <lines>) + "\n" + the stdin bytes.
// Response: "P\n" when the command starts, then "R <status> <out bytes> <err bytes>\n"
// followed by exactly that many bytes of stdout, then of stderr.
// Thread-safety: pure functions; a ResponseReader belongs to one caller.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cuttle::detail::executor {

// The frames did not parse: the executor (or what runs it) is not speaking the protocol.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The exec request that starts the executor: one single-quoted word with no newline, '!' or
// backslash, which csh and fish take literally too (run here under bash and dash only).
std::string bootstrap_command();
// The executor itself, one line, to be sent as the first line of the channel's stdin.
std::string script_line(std::string_view nonce);
// One request frame. `command_line` is quote_command(argv) (no NUL byte).
std::string encode_request(std::string_view command_line, std::string_view stdin_text);

struct Result {
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Parses what the executor writes, fed in arbitrary pieces. Throws ProtocolError on a
// malformed frame; a frame cut short is simply not complete yet.
class ResponseReader {
 public:
  // Appends bytes read from the channel.
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The executor's pid once "<nonce> <pid>\n" arrived (everything before it is skipped).
  std::optional<long> banner(std::string_view nonce);
  // True once "P\n" of the current command arrived (consumes it).
  bool started();
  // The result once the R line and both payloads arrived (consumes them).
  std::optional<Result> result();
  // Bytes received but not yet consumed.
  std::size_t pending() const { return buffer_.size(); }

 private:
  std::optional<std::string> take_line();

  std::string buffer_;
  std::optional<Result> header_;  // the R line of the result being received
  std::size_t out_size_ = 0, err_size_ = 0;
};

}  // namespace cuttle::detail::executor
