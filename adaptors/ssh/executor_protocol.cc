// The executor's script and frames (see executor_protocol.h). The script relies on POSIX
// sh (read -r, eval, trap, $((...))), mktemp -d, head -c on regular files, wc -c, rm, and
// for stdin either head -c that reads no more than asked from a pipe (GNU) or dd bs=1
// (busybox's head reads ahead; the script probes which one it has).
#include "adaptors/ssh/executor_protocol.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace cuttle::detail::executor {
namespace {

// One line, no newline: the bootstrap reads it with `read -r`. Readable form:
//   n=NONCE; umask 077; d=$(mktemp -d) || exit 97; trap 'rm -rf "$d"' EXIT
//   trap 'exit 98' HUP TERM
//   take(): head -c N if it stops at N bytes on a pipe, else dd bs=1 count=N
//   echo "$n $$"
//   while read -r k m: read k lines into c; m stdin bytes into $d/i (or /dev/null)
//     echo P; (eval "exec $c") <in >$d/o 2>$d/e; s=$?
//     echo "R $s <size of o> <size of e>"; head -c <size> of o, then of e
// The sizes are taken once and exactly that many bytes are sent, so a background process
// the command left writing to its output cannot break the frame. Only builtins run besides
// the command itself when it prints nothing (no rm: the redirections truncate the files).
constexpr std::string_view kScript =
    "umask 077; d=$(mktemp -d) || exit 97; trap 'rm -rf \"$d\"' EXIT; trap 'exit 98' HUP TERM; "
    "if [ \"$(printf abc | { head -c 1 >/dev/null 2>&1; cat; })\" = bc ]; "
    "then take() { head -c \"$1\"; }; else take() { dd bs=1 count=\"$1\" 2>/dev/null; }; fi; "
    "nl=$(printf '\\nx'); nl=${nl%x}; "
    "echo \"$n $$\"; "
    "while IFS=' ' read -r k m; do "
    "c=; j=0; "
    "while [ \"$j\" -lt \"$k\" ]; do IFS= read -r l || exit 0; "
    "if [ \"$j\" -gt 0 ]; then c=$c$nl; fi; c=$c$l; j=$((j + 1)); done; "
    "i=/dev/null; "
    "if [ \"$m\" -gt 0 ]; then take \"$m\" >\"$d/i\"; i=$d/i; fi; "
    "echo P; "
    "(eval \"exec $c\") <\"$i\" >\"$d/o\" 2>\"$d/e\"; s=$?; "
    "o=0; e=0; "
    "if [ -s \"$d/o\" ]; then o=$(wc -c <\"$d/o\"); o=${o##* }; fi; "
    "if [ -s \"$d/e\" ]; then e=$(wc -c <\"$d/e\"); e=${e##* }; fi; "
    "echo \"R $s $o $e\"; "
    "if [ \"$o\" -gt 0 ]; then head -c \"$o\" \"$d/o\"; fi; "
    "if [ \"$e\" -gt 0 ]; then head -c \"$e\" \"$d/e\"; fi; "
    "done";

// A header line longer than this is not a header: the stream is not ours.
constexpr std::size_t kMaxLine = 256;

long parse_number(std::string_view text, const char* what) {
  long value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    throw ProtocolError(std::string("executor sent a bad ") + what + ": '" + std::string(text) +
                        "'");
  }
  return value;
}

}  // namespace

std::string bootstrap_command() { return "exec /bin/sh -c 'IFS= read -r s; eval \"$s\"'"; }

std::string script_line(std::string_view nonce) {
  return "n=" + std::string(nonce) + "; " + std::string(kScript) + "\n";
}

std::string encode_request(std::string_view command_line, std::string_view stdin_text) {
  const auto lines = 1 + std::count(command_line.begin(), command_line.end(), '\n');
  std::string frame = std::to_string(lines) + " " + std::to_string(stdin_text.size()) + "\n";
  frame.reserve(frame.size() + command_line.size() + 1 + stdin_text.size());
  frame.append(command_line);
  frame += '\n';
  frame.append(stdin_text);
  return frame;
}

std::optional<std::string> ResponseReader::take_line() {
  auto end = buffer_.find('\n');
  if (end == std::string::npos) {
    if (buffer_.size() > kMaxLine) throw ProtocolError("executor sent an over-long header");
    return std::nullopt;
  }
  if (end > kMaxLine) throw ProtocolError("executor sent an over-long header");
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 1);
  return line;
}

std::optional<long> ResponseReader::banner(std::string_view nonce) {
  // Anything a login shell printed precedes the banner; the nonce cannot be guessed.
  const std::string marker = std::string(nonce) + " ";
  auto at = buffer_.find(marker);
  if (at == std::string::npos) {
    // Keep only a tail that may hold the start of the marker.
    if (buffer_.size() > marker.size()) buffer_.erase(0, buffer_.size() - marker.size());
    return std::nullopt;
  }
  if (at > 0 && buffer_[at - 1] != '\n') {
    buffer_.erase(0, at + 1);
    return banner(nonce);
  }
  auto end = buffer_.find('\n', at);
  if (end == std::string::npos) return std::nullopt;
  long pid = parse_number(
      std::string_view(buffer_).substr(at + marker.size(), end - at - marker.size()), "pid");
  buffer_.erase(0, end + 1);
  return pid;
}

bool ResponseReader::started() {
  if (buffer_.empty()) return false;
  auto line = take_line();
  if (!line) return false;
  if (*line != "P") throw ProtocolError("executor sent '" + line->substr(0, 40) + "' for P");
  return true;
}

std::optional<Result> ResponseReader::result() {
  if (!header_) {
    auto line = take_line();
    if (!line) return std::nullopt;
    std::string_view text(*line);
    if (text.substr(0, 2) != "R ") {
      throw ProtocolError("executor sent '" + line->substr(0, 40) + "' for R");
    }
    text.remove_prefix(2);
    auto first = text.find(' ');
    auto second = first == std::string_view::npos ? first : text.find(' ', first + 1);
    if (second == std::string_view::npos) throw ProtocolError("executor sent a short R line");
    Result result;
    result.exit_code = static_cast<int>(parse_number(text.substr(0, first), "exit status"));
    out_size_ = static_cast<std::size_t>(
        parse_number(text.substr(first + 1, second - first - 1), "stdout size"));
    err_size_ = static_cast<std::size_t>(parse_number(text.substr(second + 1), "stderr size"));
    header_ = std::move(result);
  }
  if (buffer_.size() < out_size_ + err_size_) return std::nullopt;
  Result result = std::move(*header_);
  header_.reset();
  result.stdout_text = buffer_.substr(0, out_size_);
  result.stderr_text = buffer_.substr(out_size_, err_size_);
  buffer_.erase(0, out_size_ + err_size_);
  return result;
}

}  // namespace cuttle::detail::executor
