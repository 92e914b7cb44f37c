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
  std::vector<std::string> positional;  // location first, then job ids
  std::vector<std::string> command;     // after `--`
  SchedulerOptions scheduler;
  JobDescription job;
  bool wait = false;
  bool json = false;
  std::optional<std::chrono::milliseconds> timeout;
  std::string queue_filter;
  bool help = false;
};

// Parses argv[1..]. Throws InvalidArgument ("--memory: size '12X' has unknown unit").
Options parse_options(const std::vector<std::string>& args);

extern const char* const kUsage;

}  // namespace cuttle::cli
