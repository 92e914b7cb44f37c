// Job + pod JSON -> Outcome.
#include "adaptors/kubernetes/job_outcome.h"

#include <ctime>

#include "adaptors/kubernetes/job_manifest.h"
#include "adaptors/kubernetes/job_steps.h"
#include "internal/job_markers.h"

namespace cuttle::detail {
namespace {

const nlohmann::json kNull;

const nlohmann::json& at(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : std::string();
}

// The condition of `type` whose status is "True", or null.
const nlohmann::json& true_condition(const nlohmann::json& object, const char* type) {
  const nlohmann::json& conditions = at(at(object, "status"), "conditions");
  if (!conditions.is_array()) return kNull;
  for (const nlohmann::json& c : conditions) {
    if (text(at(c, "type")) == type && text(at(c, "status")) == "True") return c;
  }
  return kNull;
}

const nlohmann::json& container_status(const nlohmann::json& pod, const char* list,
                                       const std::string& name) {
  const nlohmann::json& statuses = at(at(pod, "status"), list);
  if (!statuses.is_array()) return kNull;
  for (const nlohmann::json& s : statuses) {
    if (name.empty() || text(at(s, "name")) == name) return s;
  }
  return kNull;
}

bool blocking_reason(const std::string& reason) {
  return reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "InvalidImageName" ||
         reason == "CreateContainerConfigError" || reason == "RunContainerError";
}

std::optional<TimePoint> time_of(const nlohmann::json& value) {
  return value.is_string() ? parse_api_time(value.get<std::string>()) : std::nullopt;
}

// The end a container's wrapper recorded in its termination message ("CODE [CAUSE]",
// pod_wrapper.h), or nullopt (no wrapper, not ended, or not a record).
std::optional<ExitMarker> wrapper_record(const nlohmann::json& container_status) {
  const nlohmann::json& message = at(at(at(container_status, "state"), "terminated"), "message");
  if (!message.is_string()) return std::nullopt;
  return parse_exit_marker(message.get<std::string>());
}

// The record of the container whose wrapper ended it at max_runtime (with steps: the step
// that ran out of time), or nullopt.
std::optional<ExitMarker> deadline_record(const nlohmann::json& pod) {
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const nlohmann::json& statuses = at(at(pod, "status"), list);
    if (!statuses.is_array()) continue;
    for (const nlohmann::json& s : statuses) {
      std::optional<ExitMarker> record = wrapper_record(s);
      if (record && record->cause == EndCause::kDeadline) return record;
    }
  }
  return std::nullopt;
}

// A job with steps started with its first step (the first init container).
std::optional<TimePoint> first_step_start(const nlohmann::json& pod) {
  const nlohmann::json& statuses = at(at(pod, "status"), "initContainerStatuses");
  if (!statuses.is_array() || statuses.empty()) return std::nullopt;
  const nlohmann::json& state = at(statuses.front(), "state");
  for (const char* key : {"running", "terminated"}) {
    if (auto t = time_of(at(at(state, key), "startedAt"))) return t;
  }
  return std::nullopt;
}

// Facts of the main container's terminated state, if it has one.
void apply_terminated(Outcome& outcome, const nlohmann::json& terminated) {
  if (!terminated.is_object()) return;
  if (auto code = at(terminated, "exitCode"); code.is_number_integer()) {
    outcome.exit_code = code.get<int>();
  }
  if (auto t = time_of(at(terminated, "startedAt"))) outcome.started = t;
  if (auto t = time_of(at(terminated, "finishedAt"))) outcome.finished = t;
}

// A job's first steps run as init containers: one of them running or ended is the job
// running (a failed one was handled as Error before).
bool step_started(const nlohmann::json& pod) {
  const nlohmann::json& statuses = at(at(pod, "status"), "initContainerStatuses");
  if (!statuses.is_array()) return false;
  for (const nlohmann::json& s : statuses) {
    const nlohmann::json& state = at(s, "state");
    if (at(state, "running").is_object() || at(state, "terminated").is_object()) return true;
  }
  return false;
}

// Queued/Running from the pod while the Job has no final condition.
void observe_pod(Outcome& outcome, const nlohmann::json& pod) {
  outcome.state = JobState::kQueued;
  outcome.native_state = "Pending";
  outcome.reason = "waiting for a pod";
  if (pod.is_null()) return;
  outcome.pod_name = text(at(at(pod, "metadata"), "name"));
  const std::string phase = text(at(at(pod, "status"), "phase"));
  outcome.native_state = phase.empty() ? "Pending" : phase;
  const nlohmann::json& scheduled = at(at(pod, "status"), "conditions");
  if (scheduled.is_array()) {
    for (const nlohmann::json& c : scheduled) {
      if (text(at(c, "type")) == "PodScheduled" && text(at(c, "status")) == "False" &&
          text(at(c, "reason")) == "Unschedulable") {
        outcome.blocked_by = "Unschedulable";
        outcome.blocked_message = text(at(c, "message"));
      }
    }
  }
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const nlohmann::json& statuses = at(at(pod, "status"), list);
    if (!statuses.is_array()) continue;
    for (const nlohmann::json& s : statuses) {
      const nlohmann::json& waiting = at(at(s, "state"), "waiting");
      if (blocking_reason(text(at(waiting, "reason")))) {
        outcome.blocked_by = text(at(waiting, "reason"));
        outcome.blocked_message = text(at(waiting, "message"));
      }
      const nlohmann::json& terminated = at(at(s, "state"), "terminated");
      if (std::string(list) == "initContainerStatuses" && terminated.is_object() &&
          at(terminated, "exitCode").is_number_integer() && at(terminated, "exitCode") != 0) {
        outcome.state = JobState::kError;
        outcome.error = "init container " + text(at(s, "name")) + " exited " +
                        std::to_string(at(terminated, "exitCode").get<int>());
        outcome.reason = outcome.error;
        return;
      }
    }
  }
  if (!outcome.blocked_by.empty()) {
    outcome.reason = outcome.blocked_by +
                     (outcome.blocked_message.empty() ? "" : ": " + outcome.blocked_message);
    return;
  }
  const nlohmann::json& main = container_status(pod, "containerStatuses", kMainContainer);
  const nlohmann::json& state = at(main, "state");
  if (at(state, "running").is_object() || at(state, "terminated").is_object() ||
      phase == "Running" || step_started(pod)) {
    outcome.state = JobState::kRunning;
    outcome.reason = "running in pod " + outcome.pod_name;
    if (auto t = time_of(at(at(state, "running"), "startedAt"))) outcome.started = t;
    apply_terminated(outcome, at(state, "terminated"));
    outcome.exit_code.reset();  // final only once the Job says so
    return;
  }
  const std::string waiting = text(at(at(state, "waiting"), "reason"));
  if (!waiting.empty()) outcome.reason = waiting;
}

}  // namespace

// (Declared in job_steps.h; here beside the other readers of a pod, so the outcome
// parsers need nothing of the manifest.)
std::vector<int> step_exit_codes(const nlohmann::json& pod) {
  std::vector<int> codes;
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const nlohmann::json& statuses = at(at(pod, "status"), list);
    if (!statuses.is_array()) continue;
    // The API lists init containers in their spec's order, the others by name: only the
    // main container is among the others.
    for (const nlohmann::json& s : statuses) {
      std::optional<ExitMarker> record = wrapper_record(s);
      if (!record) return codes;
      codes.push_back(record->code);
    }
  }
  return codes;
}

// The outcome from the Job's conditions and the pod, without the start-time fallback.
Outcome outcome_from_conditions(const nlohmann::json& job, const nlohmann::json& pod);

std::optional<TimePoint> parse_api_time(const std::string& value) {
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(value.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute,
                  &second) != 6) {
    return std::nullopt;
  }
  // Within what a system_clock time point holds (found by fuzzing: a year of -21966181576
  // seconds overflowed the conversion).
  if (year < 1970 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  if (t == -1) return std::nullopt;
  return Clock::from_time_t(t);
}

Outcome job_outcome(const nlohmann::json& job, const nlohmann::json& pod) {
  Outcome outcome = outcome_from_conditions(job, pod);
  if (at(at(at(job, "metadata"), "annotations"), kStepsAnnotation).is_string()) {
    outcome.step_exit_codes = step_exit_codes(pod);
    if (outcome.state != JobState::kQueued) {
      if (auto t = first_step_start(pod)) outcome.started = t;
    }
  }
  // The pod may be gone (a deadline deletes it): the Job's own start is the fallback.
  if (!outcome.started && outcome.state != JobState::kQueued) {
    outcome.started = time_of(at(at(job, "status"), "startTime"));
  }
  return outcome;
}

Outcome outcome_from_conditions(const nlohmann::json& job, const nlohmann::json& pod) {
  Outcome outcome;
  observe_pod(outcome, pod);
  const nlohmann::json& main =
      pod.is_null() ? kNull : container_status(pod, "containerStatuses", kMainContainer);
  const nlohmann::json& terminated = at(at(main, "state"), "terminated");
  const nlohmann::json& complete = true_condition(job, "Complete");
  const nlohmann::json& failed = true_condition(job, "Failed");
  if (complete.is_null() && failed.is_null()) return outcome;
  outcome.blocked_by.clear();
  const std::string why = text(at(failed, "reason"));
  const std::string message = text(at(failed, "message"));
  if (!complete.is_null()) {
    outcome.native_state = "Complete";
    apply_terminated(outcome, terminated);
    if (auto t = time_of(at(at(job, "status"), "completionTime"))) outcome.finished = t;
  } else {
    outcome.native_state = "Failed" + (why.empty() ? "" : "/" + why);
    if (auto t = time_of(at(failed, "lastTransitionTime"))) outcome.finished = t;
    apply_terminated(outcome, terminated);
  }
  // The wrapper's word outranks the Job's condition: its deadline ended the command (which
  // may even have exited 0 on the TERM, making the Job Complete).
  if (std::optional<ExitMarker> record = deadline_record(pod)) {
    outcome.state = JobState::kExpired;
    if (!outcome.exit_code) outcome.exit_code = record->code;
    outcome.reason = deadline_reason(*outcome.exit_code);
    return outcome;
  }
  if (!complete.is_null()) {
    outcome.state = JobState::kCompleted;
    outcome.reason = "completed";
    return outcome;
  }
  if (why == "DeadlineExceeded") {
    outcome.state = JobState::kExpired;
    outcome.reason = kBackstopReason;
    return outcome;
  }
  if (outcome.state == JobState::kError) return outcome;  // an init container failed
  const std::string term_reason = text(at(terminated, "reason"));
  if (outcome.exit_code) {
    outcome.state = JobState::kFailed;
    outcome.reason =
        term_reason == "OOMKilled" ? "OOMKilled" : "exited " + std::to_string(*outcome.exit_code);
    if (*outcome.exit_code == 0) {
      outcome.state = JobState::kError;
      outcome.error = "the Job failed (" + why + ") although its container exited 0";
      outcome.reason = outcome.error;
    }
    return outcome;
  }
  outcome.state = JobState::kError;
  outcome.error = "the Job failed (" + why + (message.empty() ? "" : ": " + message) +
                  ") and its container's exit code was never observed";
  outcome.reason = outcome.error;
  return outcome;
}

}  // namespace cuttle::detail
