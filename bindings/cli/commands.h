// The verbs of the `cuttle` command. Each returns the process exit code.
// Thread-safety: called from main only.
#pragma once

#include "bindings/cli/options.h"

namespace cuttle::cli {

int run_command(const Options& options);

// Exit code for a final status: the job's own code, 130 cancelled, 124 expired, 125 error.
int exit_code_for(const JobStatus& status);

}  // namespace cuttle::cli
