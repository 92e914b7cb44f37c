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
  if (!source || !source->state) return true;
  return is_final(*source->state) && source->exit_code_from_marker && !source->exit_code;
}

Resolution resolve(const Observation& o) {
  const NativeJob* source = source_of(o);
  if (source && source->state) {
    JobStatus status = status_from_native(*source);
    if (is_final(status.state) && source->exit_code_from_marker && !source->exit_code && o.marker &&
        o.marker->exit_code) {
      JobStatus from_marker = final_status_from_marker(o.id, *o.marker);
      status.exit_code = from_marker.exit_code;
      if (status.state == JobState::kCompleted || status.state == JobState::kFailed) {
        status.state = from_marker.state;
      }
      if (!status.started) status.started = from_marker.started;
      if (!status.finished) status.finished = from_marker.finished;
    }
    // A kill we asked for explains a signal death (Torque reports qdel as exit 271).
    if (o.cancel_requested &&
        (status.state == JobState::kFailed || status.state == JobState::kError)) {
      status.state = JobState::kCancelled;
      status.error.reset();
    }
    return {status, false};
  }
  if (marker_final(o.marker)) {
    JobStatus status = final_status_from_marker(o.id, *o.marker);
    if (source) {
      status.native_state = source->native_state;
      status.scheduler_info = source->info;
    }
    status.reason = source ? source->native_state + "; exit code from the job's marker file"
                           : "left the queue; exit code from the job's marker file";
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
  if (o.missing_since && o.now - *o.missing_since >= o.grace) {
    JobStatus status;
    status.id = o.id;
    status.state = JobState::kError;
    status.native_state = source ? source->native_state : "";
    status.reason = "lost";
    status.error =
        "the scheduler no longer reports the job, accounting does not know it, and it left "
        "no exit marker";
    return {status, false};
  }
  return {std::nullopt, true};
}

}  // namespace cuttle::detail
