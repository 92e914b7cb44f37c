// What a scheduler knows about one job at one moment. Thread-safety: value type.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/job_array.h"
#include "cuttle/job_state.h"

namespace cuttle {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// The outcome of one finished attempt of a job that was retried.
struct AttemptRecord {
  int attempt = 1;
  std::string backend_id;  // the adaptor's id of that attempt
  JobState state = JobState::kNew;
  std::optional<int> exit_code;
  std::string reason;
  std::optional<TimePoint> started;
  std::optional<TimePoint> finished;
};

struct JobStatus {
  std::string id;
  JobState state = JobState::kNew;
  std::string native_state;  // the scheduler's own word ("PENDING", "R", "exited")
  std::string reason;        // for a human
  std::optional<int> exit_code;
  std::optional<std::string> error;  // set when state is kError (or a staging failure)
  std::optional<TimePoint> submitted;
  std::optional<TimePoint> started;
  std::optional<TimePoint> finished;
  std::optional<TimePoint> deadline;  // when the time allocation runs out, if known
  // A job with steps (JobDescription::steps): the exit code of each step that ran, in
  // order, as its wrapper recorded them; the last is the one that decided exit_code
  // unless the steps after a failed ignore_error one all succeeded. Empty otherwise.
  std::vector<int> step_exit_codes;
  // An array job (JobDescription::array): each element's state and exit code, by index;
  // state and exit_code above are their aggregate (aggregate_array_state). Empty for an
  // element ("ID[INDEX]") and for every other job.
  std::vector<ArrayElementStatus> array_elements;
  int attempt = 1;
  std::vector<AttemptRecord> attempts;  // earlier attempts, oldest first
  // Adaptor-specific facts. Keys callers may rely on (absent when not known):
  //   "sandbox"             the job's sandbox directory on the target (local with a
  //                         sandbox, ssh, batch)
  //   "name"                the scheduler-side job name (batch; it carries the job key)
  //   "queue"               the queue/partition the scheduler reports (batch)
  //   "pid"                 the wrapper's or process's pid (local, ssh)
  //   "reason"              the scheduler's own reason word for the current observation
  //                         (Slurm "Priority"); never carried over from an earlier state
  //   "stage_out_problems"  what the finish step could not copy back (every adaptor)
  //   "signal"              the signal number that killed an attached local job
  // Other keys are informative and may change.
  std::map<std::string, std::string> scheduler_info;

  bool running() const { return state == JobState::kRunning; }
  bool done() const { return is_final(state); }
};

}  // namespace cuttle
