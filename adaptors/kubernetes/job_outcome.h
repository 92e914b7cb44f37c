// What a Job and its pod say about a job, in the API's own words: the Job's Complete and
// Failed conditions, the record of the pod's wrapper in a container's termination message
// (its deadline -> Expired; DeadlineExceeded, the backstop, -> Expired too), the main
// container's terminated state
// (exit code, OOMKilled), init-container failures, and the waiting reasons and
// Unschedulable condition that keep a job Queued (the scheduler turns those into Error
// after their grace). An exit code that was never observed stays unknown, never 0.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cuttle/job_status.h"

namespace cuttle::detail {

struct Outcome {
  JobState state = JobState::kQueued;
  std::string native_state;  // "Pending", "Running", "Complete", "Failed/DeadlineExceeded"
  std::string reason;
  std::optional<int> exit_code;
  std::string error;  // for kError
  std::optional<TimePoint> started;
  std::optional<TimePoint> finished;
  // While Queued: the waiting reason that blocks the pod (ErrImagePull, ImagePullBackOff,
  // InvalidImageName, CreateContainerConfigError, Unschedulable), or "".
  std::string blocked_by;
  std::string blocked_message;
  std::string pod_name;
  // A job with steps (the Job's kStepsAnnotation): the exit codes of those that ran.
  std::vector<int> step_exit_codes;
};

// The reason of a job whose Job's activeDeadlineSeconds (the backstop) ran out before its
// wrapper ended it.
inline constexpr const char* kBackstopReason =
    "max runtime backstop reached: the Job was active longer than its activeDeadlineSeconds "
    "(max_runtime + cancel.grace + deadline.slack) before its wrapper ended it "
    "(DeadlineExceeded)";

// `job` is the Job object; `pod` its newest pod, or null when none was seen.
Outcome job_outcome(const nlohmann::json& job, const nlohmann::json& pod);

// RFC 3339 "2026-12-01T18:00:00Z" (fractions allowed); nullopt when malformed.
std::optional<TimePoint> parse_api_time(const std::string& text);

}  // namespace cuttle::detail
