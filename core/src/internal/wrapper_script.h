// The small POSIX sh wrapper every detached job runs through (local detached, ssh,
// batch). It is the job's witness: it records its pid, runs the user command with every
// element quoted (or a job's steps in order, recording each step's exit code), enforces the time
// allocation itself (a watchdog that TERMs the job's process group at max_runtime, whatever the
// batch scheduler's granularity), escalates a TERM — a cancel, the deadline, or one from outside —
// to KILL after the cancel grace with no process of ours watching, and records how the job ended
// ("CODE [CAUSE]") in its exit marker. job_markers.h reads that record back; the layout is
// described there. The wrapper must lead its own process group (setsid for local and ssh; the batch
// step for Slurm): it signals its group with `kill 0`. Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cuttle/file_system.h"
#include "cuttle/job_description.h"
#include "internal/job_key.h"
#include "internal/job_markers.h"

namespace cuttle::detail {

// Where one step of a job with steps reads and writes (absolute host paths).
struct StepPaths {
  std::string working_directory;  // a host step's; a container step's redirections' base
  std::string stdin_path;         // absolute or /dev/null
  std::string stdout_path;
  std::string stderr_path;
  bool append_stdout = false;  // the step writes to the job's stdout, after the steps before
  bool append_stderr = false;
};

struct WrapperPaths {
  std::string sandbox;            // absolute
  std::string working_directory;  // absolute; usually the sandbox
  std::string stdin_path;         // absolute or /dev/null
  std::string stdout_path;        // absolute
  std::string stderr_path;        // absolute
  std::vector<StepPaths> steps;   // one per JobDescription::steps entry
};

// description.dependencies make the wrapper wait for them first (dependency_wait.h): an
// adaptor whose scheduler holds the job itself clears them.
// REQUIRES: description.validate() passed. Every byte of executable, arguments,
// environment values and paths reaches the job unchanged. description.max_runtime, when
// set, is enforced by the wrapper (extend rewrites the allocation marker); cancel_grace is
// how long a TERMed job has before the wrapper KILLs its process group.
std::string render_wrapper(const JobDescription& description, const WrapperPaths& paths,
                           std::chrono::seconds cancel_grace);

// The pieces of the wrapper that a wrapper rendered elsewhere is built from (the
// kubernetes pod's, adaptors/kubernetes/pod_wrapper.h), so that a deadline, an extension,
// a TERM and the escalation mean the same there. `markers` is the directory holding the
// exit and allocation markers (D/.cuttle).
// The traps and stop functions: TERM records cause "signal" ("cancel" once the cancelled
// marker exists), ALRM "deadline"; either TERMs the wrapper's process group and KILLs it
// `grace` later unless the exit marker was written by then. REQUIRES: the shell variables
// cuttle_wrapper ($$), cuttle_how, cuttle_child and cuttle_dog (empty) are set before, and
// cuttle_child is set once the command runs in the background.
std::string render_stop_functions(const std::string& markers, std::chrono::seconds grace);
// Starts the watchdog (its pid in cuttle_dog): ALRMs the wrapper once `allocation` seconds
// less `elapsed` seconds have passed and the allocation marker holds no more. Both are
// shell words expanding to a number ("90", "$a").
std::string render_watchdog(const std::string& markers, const std::string& allocation,
                            const std::string& elapsed);
// Waits for $cuttle_child through trapped signals; leaves its exit status in cuttle_rc.
std::string render_wait_loop();

// The allocation marker's content for a total time allocation (max_runtime plus every
// extension), which the wrapper's watchdog reads when its current allocation runs out.
// Written at submit for every job with a max_runtime.
std::string allocation_marker(std::chrono::seconds total);

// Extends the time allocation recorded in `sandbox` by `by` and returns the new total;
// the job's wrapper picks it up when its current allocation runs out. Throws
// InvalidArgument when the job has no allocation (no max_runtime) or already ended.
std::chrono::seconds extend_allocation(FileSystem& files, const std::string& sandbox,
                                       std::chrono::seconds by);

// The one builder of a job's wrapper paths. A relative working_directory is taken
// relative to `relative_base` (local: the submitter's working directory; ssh: the remote
// home; batch: resolved inside the sandbox by the caller, which passes an absolute
// directory); stdin/stdout/stderr relative to the working directory; stdout and stderr
// default to stdout.txt and stderr.txt in the sandbox, stdin to /dev/null.
// A step's paths: a host step's working directory relative to the job's (its default);
// its stdin/stdout/stderr relative to its working directory, and in a container step to
// the sandbox, where a path under /work names the sandbox's file as the step sees it;
// no stdout/stderr: appended to the job's.
WrapperPaths wrapper_paths(const JobDescription& description, const std::string& sandbox,
                           const std::string& relative_base);

}  // namespace cuttle::detail
