// The one reader of the marker files a job's wrapper leaves in its sandbox: how the job
// ended (exit code and cause), when it started and ended, whether Cuttle cancelled it,
// and the final state all of that implies. Every adaptor that runs the wrapper (local
// detached, ssh, batch) reads markers through here, so they all derive the same final
// state from the same record, at any time, in any process.
// Layout inside a sandbox directory D (written by the wrapper, see wrapper_script.h):
//   D/.cuttle/pid         the wrapper's pid (= its process group); its mtime is the start
//   D/.cuttle/exit        "CODE [CAUSE]": the exit code and why the job ended; its mtime
//                         is the end. CAUSE is empty (the command ended by itself),
//                         "cancel" (Cuttle cancelled it), "deadline" (its max_runtime ran
//                         out), "signal" (something outside Cuttle sent the wrapper TERM)
//                         or "dependency" (it never ran: a dependency can never be met)
//   D/.cuttle/waiting     the wrapper waits for the job's dependencies (removed before it
//                         runs the job): the job is Queued, not Running
//   D/.cuttle/cancelled   written by Cuttle before it signals a cancel
//   D/.cuttle/allocation  the time allocation in seconds, rewritten by extend
//   D/.cuttle/staged_out  written once the finish step staged the outputs out
//   D/.cuttle/container   a container job: "PROGRAM IMAGE", written before it starts
//   D/.cuttle/steps       a job with steps: one line per step that ended, its exit code
//   D/.cuttle/container_err  a container job that failed: the last non-empty stderr line
//                         (or the wrapper's own "cuttle: ..." line), written before exit
//   D/.cuttle/launch_err  a job whose launch failed before its command started (a missing
//                         launcher, module system, module or script): "cuttle: FIELD: ..."
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cuttle/job_status.h"

namespace cuttle::detail {

inline constexpr const char* kMarkerDir = ".cuttle";
// Where the wrapper sends a job's stdout and stderr when the description names no file.
inline constexpr const char* kDefaultStdoutFile = "stdout.txt";
inline constexpr const char* kDefaultStderrFile = "stderr.txt";

// Why the wrapper's command ended, as the wrapper itself saw it.
enum class EndCause {
  kExited,    // the command ended by itself (its exit code or the signal that killed it)
  kCancel,    // a cancel through Cuttle (the cancelled marker existed when TERM arrived)
  kDeadline,  // the wrapper's own watchdog: max_runtime ran out
  kSignal,    // TERM from outside Cuttle (scancel, qdel, kill of the process group)
  // The job never ran: one of its dependencies can never be met (docs/dependencies.md).
  // Written by the wrapper that waited for it, or by the batch engine when the scheduler
  // said so (Slurm's DependencyNeverSatisfied), so every later reader derives Error.
  kDependency,
};

// The reason of a job that ended because a dependency can never be met.
inline constexpr const char* kDependencyNeverSatisfied =
    "dependency never satisfied: a job it depends on ended in a state its condition excludes";
// The exit marker the engine writes for such a job ("CODE CAUSE", as the wrapper writes).
inline constexpr const char* kDependencyExitMarker = "1 dependency\n";

// The shell line that records the exit marker D/.cuttle/exit (`markers` is D/.cuttle) as
// `value_expr`, unless something recorded it already: the first writer wins. The wrapper
// and its escalation (KILL after the cancel grace) can both reach their write on a loaded
// host; had both written, a reader could see one end and a later reader the other.
// Noclobber opens the file with O_EXCL, so exactly one write happens; the line's status
// is the write's (0: this line recorded the end); it ends without a newline.
std::string record_exit_line(const std::string& markers, const std::string& value_expr);

struct ExitMarker {
  int code = 0;
  EndCause cause = EndCause::kExited;
};

// The first file of a local or ssh sandbox (Sandbox::create): D/.cuttle/name holding the
// job's name, which find_by_name compares; none for an unnamed job.
std::vector<std::pair<std::string, std::string>> name_marker(const std::string& name);

// Parses the exit marker's content ("143 deadline\n"); nullopt for an empty, partial or
// malformed marker (which every reader treats as "not written yet").
std::optional<ExitMarker> parse_exit_marker(std::string_view text);

// Parses the steps marker's content (one exit code a line); a torn last line is left out.
std::vector<int> parse_steps_marker(std::string_view text);

// "exited with code 3", "killed by SIGTERM (exit code 143)".
std::string describe_exit_code(int code);
// The reason of a job its wrapper ended at its max_runtime, `code` the recorded exit code:
// the same words wherever the record was read (a sandbox, a pod's termination message).
std::string deadline_reason(int code);

struct MarkerState {
  bool exists = false;  // the sandbox's marker directory exists
  std::optional<long> pid;
  std::optional<TimePoint> started;
  std::optional<TimePoint> finished;
  std::optional<int> exit_code;
  EndCause cause = EndCause::kExited;  // meaningful once exit_code is set
  bool cancelled = false;
  bool staged_out = false;
  bool waiting = false;         // the wrapper waits for the job's dependencies: not started yet
  std::string container;        // the container marker, empty for a job without an image
  std::string container_error;  // the container_err marker
  std::string launch_error;     // the launch_err marker
  std::vector<int> step_exit_codes;  // the steps marker, one code per step that ended
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

// The final state a finished wrapper implies, the same in every process at every time:
//   cause deadline -> Expired; cause cancel -> Cancelled; cause signal -> Cancelled
//   ("terminated from outside Cuttle"); no cause -> Completed for 0, else Failed (128+N
//   is reported as killed by signal N) — except that a cancelled marker with a non-zero
//   code is Cancelled (a wrapper that predates causes, or a cancel racing the exit);
//   a container job whose runtime itself failed (container_failure) -> Error with the
//   runtime's message; a job whose launch failed (launch_err) -> Error with its message;
//   no exit code -> Cancelled if the cancelled marker exists, else Error "lost".
// A job with steps gets their exit codes (step_exit_codes) whatever its state.
JobStatus final_status_from_marker(const std::string& id, const MarkerState& marker);

}  // namespace cuttle::detail
