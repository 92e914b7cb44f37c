// Up-front checks for a detached local job: the same mistakes an attached job's
// posix_spawn reports at submit (missing or non-executable program, a working directory
// that cannot be entered) are refused before the wrapper is started, instead of becoming
// a Failed job with exit code 126/127 and the reason hidden in the sandbox's stderr.txt.
// Thread-safety: plain functions; they only read the file system.
#pragma once

#include <string>

#include "cuttle/job_description.h"

namespace cuttle::detail::local {

// Throws InvalidJobDescription("working_directory", ...) when `directory` is not an
// enterable directory.
void check_working_directory(const std::string& directory);

// Where the executable a detached job runs is found. A path with a '/' is looked up in
// `working_directory`; when it is relative and not there (not staged in) but exists
// relative to `submit_directory`, the absolute path is returned, so `./run.sh` runs the
// same file attached and detached. A bare name is searched in the job's PATH (its
// environment, else ours). Throws InvalidJobDescription("executable", ...) when nothing
// executable is found.
std::string resolve_executable(const JobDescription& description,
                               const std::string& working_directory,
                               const std::string& submit_directory);

}  // namespace cuttle::detail::local
