// The small POSIX sh wrapper every detached job runs through (local detached, ssh,
// batch). It records its pid and start time, runs the user command with every element
// quoted, and writes the exit code to a marker file by atomic rename, so that the true
// final state is known even after the job left every queue.
// Layout inside a sandbox directory D:
//   D/.cuttle/wrapper.sh   the script        D/.cuttle/pid       wrapper pid (= pgid); its
//   D/.cuttle/exit         exit code (atomic    mtime is the start time
//                          rename); its mtime is the end time
//   D/.cuttle/cancelled    written before a cancel
//   D/.cuttle/name         the job name      D/.cuttle/backend   backend id (batch)
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/job_description.h"
#include "cuttle/job_status.h"

namespace cuttle::detail {

inline constexpr const char* kMarkerDir = ".cuttle";

struct WrapperPaths {
  std::string sandbox;            // absolute
  std::string working_directory;  // absolute; usually the sandbox
  std::string stdin_path;         // absolute or /dev/null
  std::string stdout_path;        // absolute
  std::string stderr_path;        // absolute
};

// REQUIRES: description.validate() passed. Every byte of executable, arguments,
// environment values and paths reaches the job unchanged.
std::string render_wrapper(const JobDescription& description, const WrapperPaths& paths);

struct MarkerState {
  bool exists = false;  // the sandbox's marker directory exists
  std::optional<long> pid;
  std::optional<TimePoint> started;
  std::optional<TimePoint> finished;
  std::optional<int> exit_code;
  bool cancelled = false;
  // The recorded pid answered `kill -0` on the host that read the markers (a hint for
  // local and ssh jobs; meaningless for batch jobs on other nodes).
  bool alive = false;
};

// One argv that reads the markers of every sandbox given (one round trip for all):
//   /bin/sh -c '<script>' sh DIR1 DIR2 ...
std::vector<std::string> read_markers_argv(const std::vector<std::string>& sandboxes);
// Parses its output into sandbox -> state; sandboxes absent from the output map to a
// default MarkerState (exists = false).
std::map<std::string, MarkerState> parse_markers(const std::string& output,
                                                 const std::vector<std::string>& sandboxes);

// The final state a finished wrapper implies: Cancelled if cancelled, else Completed
// for 0, Failed otherwise (exit codes 128+N are reported as killed by signal N).
JobStatus final_status_from_marker(const std::string& id, const MarkerState& marker);

// A unique job key usable as a directory name and in a backend job name:
// "c" + 20 lower-case hex characters (time-ordered prefix + randomness).
std::string new_job_key();

}  // namespace cuttle::detail
