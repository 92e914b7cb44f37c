// Final-state resolution for batch jobs: queue, then accounting, then markers, then grace.
#include "adaptors/batch/resolution.h"

namespace cuttle::detail {
namespace {

const NativeJob* source_of(const Observation& o) {
  if (o.queue) return &*o.queue;
  if (o.accounting) return &*o.accounting;
  return nullptr;
}

bool marker_final(const std::optional<MarkerState>& marker) {
  return marker && marker->exists && (marker->exit_code || marker->cancelled);
}

// The status the wrapper's record implies, with the scheduler's facts where it has them.
JobStatus record_status(const Observation& o, const NativeJob* source) {
  JobStatus status = final_status_from_marker(o.id, *o.marker);
  if (source) {
    if (!source->native_state.empty()) status.native_state = source->native_state;
    status.scheduler_info = source->info;
    status.scheduler_info.erase("reason");
    if (!status.started) status.started = source->started;
    if (!status.finished) status.finished = source->finished;
    status.submitted = source->submitted;
  }
  return status;
}

}  // namespace

JobStatus status_from_native(const NativeJob& job) {
  JobStatus status;
  status.id = job.id;
  status.state = job.state.value_or(JobState::kQueued);
  status.native_state = job.native_state;
  status.reason = job.reason;
  status.exit_code = job.exit_code;
  status.submitted = job.submitted;
  status.started = job.started;
  status.finished = job.finished;
  if (job.started && job.time_limit) status.deadline = *job.started + *job.time_limit;
  status.scheduler_info = job.info;
  if (!job.queue.empty()) status.scheduler_info["queue"] = job.queue;
  if (!job.name.empty()) status.scheduler_info["name"] = job.name;
  if (status.state == JobState::kError)
    status.error = job.reason.empty() ? job.native_state : job.reason;
  return status;
}

bool needs_marker(const std::optional<NativeJob>& queue,
                  const std::optional<NativeJob>& accounting) {
  const NativeJob* source = queue ? &*queue : (accounting ? &*accounting : nullptr);
  // Every final job: the wrapper's record outranks the scheduler's word.
  return !source || !source->state || is_final(*source->state);
}

Resolution resolve(const Observation& o) {
  const NativeJob* source = source_of(o);
  // Whether someone says the job ended: the scheduler (a final state, or one without a
  // state that leaves it to the marker, as Torque's C without exit_status), or nobody
  // lists it any more.
  const bool ended = !source || !source->state || is_final(*source->state);
  // The record first: the wrapper saw how the job ended (its exit, our deadline, a
  // cancel, a TERM from outside), and it stays readable after the scheduler forgot the
  // job — so what is reported now is what every later observer reports.
  if (ended && o.marker && o.marker->exists && o.marker->exit_code) {
    return {record_status(o, source), false};
  }
  // The job ended for the scheduler (Slurm says CANCELLED the moment scancel runs) while
  // its wrapper is still recording how: wait for the record rather than report a state a
  // later reader would derive differently. A wrapper that never records (the
  // scheduler's own KILL, after its kill wait, can beat the wrapper's) is waited for
  // only record_wait.
  // Measured from when the scheduler says the job ended, which every process reads the
  // same; only without it from when this process first missed the record.
  const std::optional<TimePoint> waiting_since =
      source && source->finished ? source->finished : o.missing_since;
  if (ended && o.marker && o.marker->exists && o.marker->pid &&
      !LostRule(o.record_wait).lost(waiting_since, o.now)) {
    JobStatus ending;  // still Running for us: any process may ask, even a fresh one
    ending.id = o.id;
    ending.state = JobState::kRunning;
    ending.native_state = source ? source->native_state : "ending";
    ending.reason = "ending: waiting for the job's wrapper to record how it ended";
    ending.started = o.marker->started;
    return {ending, true};
  }
  // Cancelled before the wrapper started, or a cancelled wrapper that never recorded.
  if (ended && marker_final(o.marker)) return {record_status(o, source), false};
  if (source && source->state) {
    JobStatus status = status_from_native(*source);
    // A kill we asked for explains a signal death (Torque reports qdel as exit 271).
    if (o.cancel_requested &&
        (status.state == JobState::kFailed || status.state == JobState::kError)) {
      status.state = JobState::kCancelled;
      status.error.reset();
    }
    return {status, false};
  }
  if (o.cancel_requested) {
    JobStatus status;
    status.id = o.id;
    status.state = JobState::kCancelled;
    status.native_state = source ? source->native_state : "";
    status.reason = "cancelled before it ran";
    return {status, false};
  }
  if (o.lost_rule.lost(o.missing_since, o.now)) {
    return {LostRule::lost_status(
                o.id,
                "the scheduler no longer reports the job, accounting does not know it, and it "
                "left no exit marker"),
            false};
  }
  return {std::nullopt, true};
}

}  // namespace cuttle::detail
