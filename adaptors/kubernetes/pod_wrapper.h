// The small sh wrappers a kubernetes:// pod's containers run: the job's command under one
// (when it is staged, reads stdin, or has a max_runtime), each step of a job with steps
// under another. Built from core's wrapper pieces (internal/wrapper_script.h), so they
// enforce max_runtime as every other adaptor's wrapper does: from the moment the command
// starts (after the pod started and the inputs were staged in), TERM at the deadline,
// KILL a cancel grace later, the allocation marker /work/.cuttle/allocation re-read when
// the allocation runs out (extend rewrites it over pods/exec). The end is recorded as
// "CODE [CAUSE]" (job_markers.h) in /work/.cuttle/exit and as the container's termination
// message, which the API keeps in the pod's status for every reader (job_outcome.h).
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace cuttle::detail {

// Where the kubelet reads a container's termination message (set on every wrapped
// container, as the API server would default it).
inline constexpr const char* kTerminationLog = "/dev/termination-log";

// The job's own container: $1 stdin, $2 stdout, $3 stderr ("" for none), $4 1: staged
// (wait for /work/.cuttle/go before the command, hold the pod until /work/.cuttle/done
// after it unless the pod is being deleted), $5 max_runtime in seconds ("" for none); then
// the command. Exits with the command's exit code.
std::string job_wrapper(std::chrono::seconds cancel_grace);

// Step `index` of a job with steps (job_steps.h); `last`: it is the main container, whose
// record is the job's (/work/.cuttle/exit). Its arguments: $1 1: the first step of a
// staged job (wait for go, then empty the job's own output files $2 $3, "" for none);
// $4 1: the last step of a staged job (record the end for stage-out even when skipped,
// hold the pod until done); $5 1: the last step (exits with the job's exit code; the
// others exit 0 so the pod goes on); $6 1: ignore_error; $7 stdin, $8 stdout, $9 1: append
// to it, $10 stderr, $11 1: append; $12 max_runtime in seconds or ""; then the command.
// With a max_runtime the steps share one allocation, counted from the first step's start
// (`date +%s`; in an image without `date` a step's count starts with that step).
std::string step_wrapper(std::size_t index, bool last, std::chrono::seconds cancel_grace);

}  // namespace cuttle::detail
