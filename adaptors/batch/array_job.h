// What a batch array job looks like on the cluster (docs/arrays.md): one job script and
// one wrapper for every element; element INDEX runs in the array's sandbox S as its working
// directory and keeps its own record and output in S/elements/INDEX (.cuttle/ markers,
// stdout.txt, stderr.txt), so each element's final state comes from its own witness.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "cuttle/job_description.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail {

// The file in the array's marker directory that holds its spec (ArraySpec::to_string()):
// how a process that did not submit the array knows its elements.
inline constexpr const char* kArrayFile = "array";

// S/elements/INDEX.
std::string element_sandbox(const std::string& array_sandbox, int index);

// The wrapper paths of every element: records and default output in the element's
// directory (S/elements/$CUTTLE_ARRAY_INDEX), the working directory S unless the job names
// one. Pass the result to render_wrapper(), then per_element_wrapper() over its text.
// REQUIRES: description.array, description.validate() passed.
WrapperPaths array_wrapper_paths(const JobDescription& description,
                                 const std::string& array_sandbox);

// The rendered wrapper with the element directory taken from $CUTTLE_ARRAY_INDEX at run
// time (every path render_wrapper() writes is one single-quoted word).
std::string per_element_wrapper(const std::string& wrapper);

// Job script lines run before the wrapper: CUTTLE_ARRAY_INDEX from the scheduler's own
// variable (SLURM_ARRAY_TASK_ID, PBS_ARRAYID, PBS_ARRAY_INDEX), exported, and the element's
// marker directory made.
std::string array_job_prelude(const std::string& array_sandbox);

// Refuses what an array cannot combine with in a batch job yet: a container image (the
// sandbox mounted at /work would be the element's directory). Throws Unsupported naming
// "array".
void check_batch_array(const JobDescription& description, const std::string& scheduler);

}  // namespace cuttle::detail
