// The closed set of job states and the one validator that owns their transitions.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace cuttle {

enum class JobState {
  // Non-final, in the order a job passes through them.
  kNew,
  kStagingIn,
  kQueued,
  kRunning,
  kStagingOut,
  // Final.
  kCompleted,  // exit code 0
  kFailed,     // non-zero exit or killed by a signal
  kCancelled,  // cancelled by a user
  kExpired,    // the time allocation (max runtime) ran out
  kError,      // the system failed: submit, staging, node failure, job lost
};

// "New", "StagingIn", ... "Error".
std::string_view to_string(JobState state);
// Inverse of to_string, case-insensitive; nullopt for anything else.
std::optional<JobState> parse_job_state(std::string_view text);

bool is_final(JobState state);

// Transitions are monotonic within one attempt: a job moves forward through the
// non-final states (it may skip some) into exactly one final state, and never
// leaves a final state. `same` is allowed (a repeated observation).
bool is_valid_transition(JobState from, JobState to);

}  // namespace cuttle
