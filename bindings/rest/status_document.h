// The joblauncher status document: {"request": ..., "status": {"state", "exitCode",
// "exception", "running", "done", "schedulerSpecficInformation"}} (that misspelling is
// the contract), and how Cuttle's JobState maps onto the reference's state words.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cuttle/job_status.h"

namespace cuttle::rest {

// INITIAL, PENDING, RUNNING, DONE, KILLED or ERROR:
//   New -> INITIAL; StagingIn, Queued -> PENDING; Running, StagingOut -> RUNNING;
//   Completed -> DONE; Failed -> DONE with the exit code (ERROR when killed by a signal,
//   with no exit code); Cancelled, Expired -> KILLED; Error -> ERROR.
std::string reference_state(const JobStatus& status);

// The "status" member. Cuttle's own detail (state, reason, times, attempt, backend id)
// goes into schedulerSpecficInformation, the one open field of the contract.
nlohmann::json status_to_json(const JobStatus& status, const std::string& scheduler,
                              const std::string& backend_id);

// In schedulerSpecficInformation of a job not finished yet: a cancel was asked for and
// the job has not stopped (TES's CANCELING). Recorded with the state, so it survives a
// restart and every instance reads it.
inline constexpr const char* kCancelRequestedKey = "cuttle.cancel_requested";

// RFC 3339 UTC with milliseconds.
std::string format_time(TimePoint time);
std::int64_t to_millis(TimePoint time);
TimePoint from_millis(std::int64_t millis);

}  // namespace cuttle::rest
