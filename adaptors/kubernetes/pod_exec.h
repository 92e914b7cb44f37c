// pods/exec over WebSocket with the channel subprotocols (v5.channel.k8s.io preferred,
// v4.channel.k8s.io accepted), as kubectl exec and kubectl cp speak them: channel 0 stdin,
// 1 stdout, 2 stderr, 3 the final Status (the exit code), 255 "close stdin" (v5).
// A PodCommand streams: stdin is sent frame by frame, stdout is read frame by frame, so
// a copy of any size holds one frame in memory.
// Thread-safety: one PodCommand per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adaptors/kubernetes/api_client.h"

namespace cuttle::detail {

struct PodTarget {
  std::shared_ptr<ApiClient> api;
  std::string namespace_name;
  std::string pod;
  std::string container;
};

class PodCommand {
 public:
  // Starts `argv` in the container. REQUIRES: argv is not empty.
  PodCommand(const PodTarget& target, const std::vector<std::string>& argv, bool with_stdin);
  ~PodCommand();

  void write(const char* data, std::size_t size);
  // Ends stdin (the command sees EOF).
  void close_stdin();
  // Reads stdout; 0 at its end (the Status arrived).
  std::size_t read(char* buffer, std::size_t size);
  // Drains stdout into `sink` (nullptr: discard), then returns the exit code.
  int wait(std::string* sink = nullptr);
  const std::string& stderr_text() const { return stderr_; }
  const std::string& describe() const { return what_; }

 private:
  bool next_frame();  // false at the end

  std::unique_ptr<Poco::Net::WebSocket> socket_;
  bool v5_ = false;
  bool stdin_closed_ = false;
  bool ended_ = false;
  int exit_code_ = -1;
  std::string pending_;  // stdout bytes not yet read
  std::size_t pending_at_ = 0;
  std::string stderr_;
  std::string what_;
};

// Runs argv to the end with `input` on stdin; returns {exit code, stdout}. stderr goes to
// `stderr_text` when given.
std::pair<int, std::string> run_in_pod(const PodTarget& target,
                                       const std::vector<std::string>& argv,
                                       const std::string& input = {},
                                       std::string* stderr_text = nullptr);

}  // namespace cuttle::detail
