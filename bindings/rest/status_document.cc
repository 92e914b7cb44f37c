#include "bindings/rest/status_document.h"

#include <ctime>

namespace cuttle::rest {

using nlohmann::json;

std::string reference_state(const JobStatus& status) {
  switch (status.state) {
    case JobState::kNew:
      return "INITIAL";
    case JobState::kStagingIn:
    case JobState::kQueued:
      return "PENDING";
    case JobState::kRunning:
    case JobState::kStagingOut:
      return "RUNNING";
    case JobState::kCompleted:
      return "DONE";
    case JobState::kFailed:
      return status.exit_code ? "DONE" : "ERROR";
    case JobState::kCancelled:
    case JobState::kExpired:
      return "KILLED";
    case JobState::kError:
      return "ERROR";
  }
  return "ERROR";
}

std::int64_t to_millis(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

TimePoint from_millis(std::int64_t millis) {
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(millis)));
}

std::string format_time(TimePoint time) {
  const std::int64_t millis = to_millis(time);
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis % 1000));
  return buffer;
}

namespace {

json exception_of(const JobStatus& status) {
  switch (status.state) {
    case JobState::kCancelled:
      return "Process cancelled by user.";
    case JobState::kExpired:
      return "Time allocation ran out" + (status.reason.empty() ? "." : ": " + status.reason);
    case JobState::kError:
      return status.error ? *status.error : (status.reason.empty() ? "error" : status.reason);
    case JobState::kFailed:
      if (!status.exit_code) return status.reason.empty() ? "killed by a signal" : status.reason;
      return nullptr;
    default:
      return nullptr;
  }
}

}  // namespace

json status_to_json(const JobStatus& status, const std::string& scheduler,
                    const std::string& backend_id) {
  json info = json::object();
  info["cuttle.state"] = std::string(to_string(status.state));
  if (!scheduler.empty()) info["cuttle.scheduler"] = scheduler;
  if (!backend_id.empty()) info["cuttle.backend_id"] = backend_id;
  if (!status.native_state.empty()) info["cuttle.native_state"] = status.native_state;
  if (!status.reason.empty()) info["cuttle.reason"] = status.reason;
  if (status.attempt > 1) info["cuttle.attempt"] = status.attempt;
  if (status.submitted) info["cuttle.submitted"] = format_time(*status.submitted);
  if (status.started) info["cuttle.started"] = format_time(*status.started);
  if (status.finished) info["cuttle.finished"] = format_time(*status.finished);
  if (status.deadline) info["cuttle.deadline"] = format_time(*status.deadline);
  for (const auto& [key, value] : status.scheduler_info) info[key] = value;

  json out = json::object();
  out["state"] = reference_state(status);
  // The reference reports a KILLED job (cancelled, or its time allocation ran out) with
  // exitCode null, whatever the process's own exit (a job that caught SIGTERM records
  // 143); that code stays in cuttle.exit_code.
  if (status.exit_code) info["cuttle.exit_code"] = *status.exit_code;
  // A job with steps: one code per step that ran, for the contracts that report each.
  if (!status.step_exit_codes.empty()) info["cuttle.step_exit_codes"] = status.step_exit_codes;
  // An array job (docs/arrays.md): each element's index, state and exit code.
  if (!status.array_elements.empty()) {
    json elements = json::array();
    for (const ArrayElementStatus& e : status.array_elements) {
      elements.push_back({{"index", e.index},
                          {"state", std::string(to_string(e.state))},
                          {"exitCode", e.exit_code ? json(*e.exit_code) : json(nullptr)}});
    }
    info["cuttle.array_elements"] = elements;
  }
  const bool killed = status.state == JobState::kCancelled || status.state == JobState::kExpired;
  out["exitCode"] = status.exit_code && !killed ? json(*status.exit_code) : json(nullptr);
  out["exception"] = exception_of(status);
  out["running"] = status.running() || status.state == JobState::kStagingOut;
  out["done"] = status.done();
  out["schedulerSpecficInformation"] = info;
  return out;
}

}  // namespace cuttle::rest
