// Command-line parsing for the `cuttle` command: verbs, flags, and the job description
// they build. Errors are cuttle::InvalidArgument naming the flag.
// Thread-safety: plain functions on values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/job_description.h"
#include "cuttle/scheduler.h"

namespace cuttle::cli {

struct Options {
  std::string verb;
  std::vector<std::string> positional;  // [location] then job ids
  std::vector<std::string> command;     // after `--`
  SchedulerOptions scheduler;
  JobDescription job;
  std::string from_file;  // submit --from: a JSON job description; flags override it
  bool wait = false;
  bool json = false;
  bool help = false;
  bool version = false;
  bool follow = false;         // logs --follow
  bool stderr_stream = false;  // output/logs --stderr
  bool dry_run = false;        // clean --dry-run
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::chrono::milliseconds> older_than;  // clean --older-than
  std::size_t limit = 20;                               // list --limit (no location)
  std::string queue_filter;
};

// Parses argv[1..]. Throws InvalidArgument ("--memory: size '12X' has unknown unit").
Options parse_options(const std::vector<std::string>& args);

// Every flag the parser accepts, for the generated bash completion.
std::vector<std::string> known_flags();

}  // namespace cuttle::cli
