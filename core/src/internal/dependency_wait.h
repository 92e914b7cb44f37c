// The part of the wrapper (wrapper_script.h) that holds a job until its dependencies are
// met, for the adaptors that have no scheduler to do it (local detached, ssh). It reads
// each dependency's markers in its sandbox, a sibling of the job's under the same root, so
// the hold survives the process that submitted the job. docs/dependencies.md.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "cuttle/job_dependency.h"

namespace cuttle::detail {

// The marker the wrapper keeps while it waits (the job is Queued, not Running).
inline constexpr const char* kWaitingMarker = "waiting";

// Shell text run first in the wrapper: writes the waiting marker and the pid marker (the
// wrapper writes the pid again once the job starts: its mtime is the start),
// waits (one `sleep 1` a second) until each dependency's record decides its condition,
// then either removes the marker and goes on, or records "1 dependency" in the exit
// marker and exits. `markers` is the job's marker directory. A dependency whose wrapper
// is gone without a record counts as ended, not Completed. Empty for no dependencies.
// REQUIRES: validate_dependencies() passed; each id names a sandbox under `root`.
std::string render_dependency_wait(const std::vector<JobDependency>& dependencies,
                                   const std::string& root, const std::string& markers);

}  // namespace cuttle::detail
