// pods/exec: the WebSocket channel protocol.
#include "adaptors/kubernetes/pod_exec.h"

#include <Poco/Buffer.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/URI.h>

#include <nlohmann/json.hpp>

#include "cuttle/error.h"

namespace cuttle::detail {
namespace {

constexpr int kMaxFrame = 1 << 20;
constexpr std::size_t kMaxStderr = 64 * 1024;
constexpr char kStdin = 0, kStdout = 1, kStderr = 2, kStatus = 3;
constexpr unsigned char kClose = 255;

std::string encode(const std::string& value) {
  std::string out;
  Poco::URI::encode(value, "&=+?/#;", out);
  return out;
}

// The exit code in the Status of channel 3: Success is 0, NonZeroExitCode carries it.
int exit_code_of(const std::string& text) {
  nlohmann::json status = nlohmann::json::parse(text, nullptr, false);
  if (!status.is_object()) return -1;
  if (status.value("status", "") == "Success") return 0;
  const nlohmann::json causes =
      status.value("details", nlohmann::json::object()).value("causes", nlohmann::json::array());
  for (const nlohmann::json& cause : causes) {
    if (cause.value("reason", "") == "ExitCode") {
      return std::atoi(cause.value("message", "-1").c_str());
    }
  }
  return -1;
}

}  // namespace

PodCommand::PodCommand(const PodTarget& target, const std::vector<std::string>& argv,
                       bool with_stdin) {
  std::string path = "/api/v1/namespaces/" + target.namespace_name + "/pods/" + target.pod +
                     "/exec?container=" + encode(target.container) + "&stdout=true&stderr=true" +
                     (with_stdin ? "&stdin=true" : "");
  for (const std::string& arg : argv) path += "&command=" + encode(arg);
  what_ = "exec in pod " + target.pod;
  std::string chosen;
  socket_ = target.api->open_websocket(path, "v5.channel.k8s.io,v4.channel.k8s.io", chosen);
  if (chosen != "v5.channel.k8s.io" && chosen != "v4.channel.k8s.io") {
    throw ConnectionFailed(what_ + ": the server chose no channel protocol (" + chosen + ")");
  }
  v5_ = chosen == "v5.channel.k8s.io";
  socket_->setMaxPayloadSize(kMaxFrame);
  socket_->setReceiveTimeout(Poco::Timespan(300, 0));
  stdin_closed_ = !with_stdin;
}

PodCommand::~PodCommand() {
  try {
    if (socket_) socket_->close();
  } catch (const Poco::Exception&) {
    // already closed by the server
  }
}

void PodCommand::write(const char* data, std::size_t size) {
  std::string frame;
  while (size > 0) {
    const std::size_t n = std::min<std::size_t>(size, 64 * 1024);
    frame.assign(1, kStdin);
    frame.append(data, n);
    try {
      socket_->sendFrame(frame.data(), static_cast<int>(frame.size()),
                         Poco::Net::WebSocket::FRAME_BINARY);
    } catch (const Poco::Exception& e) {
      throw StagingFailed(what_ + ": sending stdin: " + e.displayText());
    }
    data += n;
    size -= n;
  }
}

void PodCommand::close_stdin() {
  if (stdin_closed_) return;
  stdin_closed_ = true;
  try {
    if (v5_) {
      const char frame[2] = {static_cast<char>(kClose), kStdin};
      socket_->sendFrame(frame, 2, Poco::Net::WebSocket::FRAME_BINARY);
    } else {
      // v4 has no half-close: closing the socket ends stdin; the Status still comes back.
      socket_->shutdown();
    }
  } catch (const Poco::Exception& e) {
    throw StagingFailed(what_ + ": closing stdin: " + e.displayText());
  }
}

bool PodCommand::next_frame() {
  if (ended_) return false;
  Poco::Buffer<char> buffer(0);
  int flags = 0;
  int n = 0;
  try {
    n = socket_->receiveFrame(buffer, flags);
  } catch (const Poco::Exception& e) {
    throw StagingFailed(what_ + ": " + e.displayText());
  }
  const int opcode = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
  if (n <= 0 || opcode == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
    ended_ = true;
    return false;
  }
  if (opcode != Poco::Net::WebSocket::FRAME_OP_BINARY &&
      opcode != Poco::Net::WebSocket::FRAME_OP_TEXT) {
    return true;  // ping/pong
  }
  const char channel = buffer[0];
  const char* data = buffer.begin() + 1;
  const std::size_t size = static_cast<std::size_t>(n - 1);
  if (channel == kStdout) {
    pending_.assign(data, size);
    pending_at_ = 0;
  } else if (channel == kStderr) {
    stderr_.append(data, std::min(size, kMaxStderr - std::min(kMaxStderr, stderr_.size())));
  } else if (channel == kStatus) {
    exit_code_ = exit_code_of(std::string(data, size));
    ended_ = true;
  }
  return true;
}

std::size_t PodCommand::read(char* buffer, std::size_t size) {
  while (pending_at_ >= pending_.size()) {
    pending_.clear();
    pending_at_ = 0;
    if (!next_frame()) return 0;
  }
  const std::size_t n = std::min(size, pending_.size() - pending_at_);
  std::memcpy(buffer, pending_.data() + pending_at_, n);
  pending_at_ += n;
  return n;
}

int PodCommand::wait(std::string* sink) {
  close_stdin();
  char buffer[65536];
  while (std::size_t n = read(buffer, sizeof buffer)) {
    if (sink) sink->append(buffer, n);
  }
  if (exit_code_ < 0) {
    throw StagingFailed(what_ + ": the stream ended without the command's exit status");
  }
  return exit_code_;
}

std::pair<int, std::string> run_in_pod(const PodTarget& target,
                                       const std::vector<std::string>& argv,
                                       const std::string& input, std::string* stderr_text) {
  PodCommand command(target, argv, !input.empty());
  if (!input.empty()) command.write(input.data(), input.size());
  std::string out;
  const int code = command.wait(&out);
  if (stderr_text) *stderr_text = command.stderr_text();
  return {code, out};
}

}  // namespace cuttle::detail
