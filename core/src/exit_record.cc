// The exit record's text ("CODE [CAUSE]"): parsed back, and said in words. Apart from the
// marker reader (job_markers.cc) because a record also reaches Cuttle by other ways (a
// kubernetes pod's termination message) whose parsers link only this.
#include <csignal>
#include <cstring>

#include "internal/job_markers.h"

namespace cuttle::detail {
namespace {

std::string signal_name(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace

std::string describe_exit_code(int code) {
  if (code > 128 && code < 128 + 65) {
    return "killed by " + signal_name(code - 128) + " (exit code " + std::to_string(code) + ")";
  }
  return "exited with code " + std::to_string(code);
}

std::string deadline_reason(int code) {
  return "max runtime reached; ended by the job's wrapper (" + describe_exit_code(code) + ")";
}

std::optional<ExitMarker> parse_exit_marker(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const std::size_t space = text.find(' ');
  const std::string_view number = text.substr(0, space);
  if (number.empty() || number.size() > 3) return std::nullopt;
  int code = 0;
  for (char c : number) {
    if (c < '0' || c > '9') return std::nullopt;
    code = code * 10 + (c - '0');
  }
  if (code > 255) return std::nullopt;
  ExitMarker marker{code, EndCause::kExited};
  if (space == std::string_view::npos) return marker;
  const std::string_view cause = text.substr(space + 1);
  if (cause == "cancel") {
    marker.cause = EndCause::kCancel;
  } else if (cause == "deadline") {
    marker.cause = EndCause::kDeadline;
  } else if (cause == "signal") {
    marker.cause = EndCause::kSignal;
  } else if (cause == "dependency") {
    marker.cause = EndCause::kDependency;
  } else {
    return std::nullopt;  // a torn or foreign write: not a record we can trust
  }
  return marker;
}

std::vector<int> parse_steps_marker(std::string_view text) {
  std::vector<int> codes;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) break;  // not yet written to its end
    if (auto code = parse_exit_marker(text.substr(0, end));
        code && code->cause == EndCause::kExited) {
      codes.push_back(code->code);
    }
    text.remove_prefix(end + 1);
  }
  return codes;
}

}  // namespace cuttle::detail
