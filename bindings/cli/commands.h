// The verbs of the `cuttle` command. Each returns the process exit code and, with
// --json, writes exactly one JSON document on stdout.
// Thread-safety: called from main only.
#pragma once

#include <nlohmann/json.hpp>

#include "bindings/cli/options.h"

namespace cuttle::cli {

int run_command(const Options& options);

// Exit code for a final status: the job's own code, 130 cancelled, 124 expired, 125 error.
int exit_code_for(const JobStatus& status);

// Verbs in their own files.
int submit_verb(const Options& options);
int wait_verb(const Options& options);
int output_verb(const Options& options);
int clean_verb(const Options& options);

// Throws InvalidArgument("usage: cuttle <the verb's synopsis>").
[[noreturn]] void usage_error(const Options& o);
// usage_error unless min <= positional arguments <= max.
void require_args(const Options& o, std::size_t min, std::size_t max);

// The one JSON document of a --json invocation.
void print_json(const nlohmann::json& document);

// From now on fd 1 is stderr (for children that inherit it: an attached job's output)
// and print_json writes to the original stdout.
void keep_stdout_for_json();

}  // namespace cuttle::cli
