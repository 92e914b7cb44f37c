// How the engine turns what it observed about one job — the queue, accounting, the
// wrapper's marker files, how long the job has been missing — into a status. Never
// Completed because a job vanished: without an exit marker a missing job waits out a
// grace window and then becomes Error with reason "lost".
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "adaptors/batch/dialect.h"
#include "cuttle/job_status.h"
#include "internal/job_markers.h"
#include "internal/lost_rule.h"

namespace cuttle::detail {

struct Observation {
  std::string id;
  std::optional<NativeJob> queue;       // the status command listed the job
  std::optional<NativeJob> accounting;  // accounting knew it
  std::optional<MarkerState> marker;    // the wrapper's markers, when they were read
  bool cancel_requested = false;        // cancel() was called through us
  std::optional<TimePoint> missing_since;
  TimePoint now;
  LostRule lost_rule;
  // How long a job the scheduler calls ended may take to get its wrapper's record (the
  // wrapper KILLs after cancel.grace); past it the wrapper is taken to be gone (the
  // scheduler's own KILL may have beaten it) and the other sources decide.
  std::chrono::milliseconds record_wait{15000};
};

struct Resolution {
  std::optional<JobStatus> status;  // nullopt: nothing new to say yet
  bool missing = false;             // no source knows the job: start or keep the grace timer
};

// The status a dialect's observation implies. REQUIRES: job.state is set.
JobStatus status_from_native(const NativeJob& job);

// True when the markers must be read to resolve this observation.
bool needs_marker(const std::optional<NativeJob>& queue,
                  const std::optional<NativeJob>& accounting);

Resolution resolve(const Observation& observation);

}  // namespace cuttle::detail
