// The small pieces that make one batch scheduler differ from another (the psij-python
// BatchSchedulerExecutor pattern): directives, and the argv + parser of submit, status
// (many ids at once), accounting, cancel, queue listing and extend. Everything else —
// sandbox, wrapper, staging, batched polling, final-state resolution — is the engine's
// (batch_scheduler.h). A dialect never runs a command itself.
// Thread-safety: const methods may be called from any thread; a dialect with a mutable
// fallback (Torque's qstat -x) keeps it in an atomic.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/command_runner.h"
#include "cuttle/job_description.h"
#include "cuttle/job_status.h"
#include "cuttle/scheduler.h"

namespace cuttle::detail {

// One job as a scheduler command reported it.
struct NativeJob {
  std::string id;
  std::string name;
  std::string queue;
  std::string native_state;  // the scheduler's own word: "PENDING", "R", "C"
  // Our state, from the dialect's one table. nullopt when the scheduler only says
  // "finished" without saying how (Torque C without exit_status): the engine then
  // resolves it like a job that left the queue (markers, grace, lost).
  std::optional<JobState> state;
  std::string reason;            // the scheduler's reason, shown to the user
  std::optional<int> exit_code;  // when the scheduler reports it
  // A final state whose exit code the scheduler does not print (Slurm FAILED in squeue):
  // the engine reads the wrapper's marker for the true code.
  bool exit_code_from_marker = false;
  // The scheduler says a dependency of the job can never be met (state is then Error):
  // the engine records it in the job's exit marker, so it outlives the queue's memory.
  bool dependency_never_satisfied = false;
  std::optional<TimePoint> submitted;
  std::optional<TimePoint> started;
  std::optional<TimePoint> finished;
  std::optional<std::chrono::seconds> time_limit;  // nullopt: unlimited or unknown
  std::map<std::string, std::string> info;         // scheduler-specific key/values
};

// How a scheduler command ended, as far as the engine must react.
enum class CommandOutcome {
  kOk,
  kUnknownJob,          // some id is not (or no longer) known: not an error for status; the
                        // output still lists the known ones
  kSchedulerDown,       // the controller did not answer: transient, nothing changes
  kForbidden,           // the site does not allow this (e.g. raising a time limit)
  kAccountingDisabled,  // normal on sites without accounting storage
  kFailed,              // anything else: CommandFailed with argv, exit code, stderr
};

// What the directives may need besides the description.
struct DirectiveContext {
  std::string job_name;           // already safe: [A-Za-z0-9._-]
  std::string working_directory;  // absolute, on the target
  std::string scheduler_stdout;   // absolute: the scheduler's own messages
  std::string scheduler_stderr;
};

// What the engine gives every dialect: staging, detached jobs, queues, several nodes, the
// scheduler's own time limit, containers and steps (the wrapper runs them inside the batch
// job) and scheduler_arguments (on the submit command). A dialect adds what its scheduler
// can do beyond that (Slurm: extend).
inline Capabilities batch_capabilities() {
  Capabilities c;
  c.staging = true;
  c.detached = true;
  c.queues = true;
  c.multi_node = true;
  c.native_time_limit = true;
  c.containers = true;
  c.scheduler_arguments = true;
  c.steps = true;          // the wrapper runs them inside the batch job
  c.native_arrays = true;  // --array / -t: one submission, elements tracked by the engine
  return c;
}

class BatchDialect {
 public:
  virtual ~BatchDialect() = default;

  virtual std::string name() const = 0;  // "slurm"
  virtual Capabilities capabilities() const = 0;

  // Directive lines ("#SBATCH --x=...\n") for the job script. Values go through
  // directive_value() (job_script.h): quoted, newlines refused.
  virtual std::string render_directives(const JobDescription& description,
                                        const DirectiveContext& context) const = 0;

  // True: the script is given on stdin; false: submit_argv names the script file.
  virtual bool submit_reads_stdin() const = 0;
  virtual std::vector<std::string> submit_argv(const std::string& script_path) const = 0;
  // Throws CommandFailed-like InternalError when the output carries no id.
  virtual std::string parse_submit(const CommandResult& result) const = 0;

  // The form of an id two commands agree on ("123" for Torque's "123.server.domain").
  virtual std::string canonical_id(const std::string& id) const { return id; }

  // ONE command for every id. Finished jobs still known to the scheduler are included.
  virtual std::vector<std::string> status_argv(const std::vector<std::string>& ids) const = 0;
  virtual std::vector<NativeJob> parse_status(const std::string& output) const = 0;
  // Called when the status command failed with kFailed; returns true when the dialect
  // switched to another status format (qstat -x -> qstat -f) and the engine should retry.
  virtual bool fall_back_status(const CommandResult&) { return false; }

  // Accounting for many ids at once; nullopt when the scheduler has none.
  virtual std::optional<std::vector<std::string>> accounting_argv(
      const std::vector<std::string>& ids) const {
    (void)ids;
    return std::nullopt;
  }
  virtual std::vector<NativeJob> parse_accounting(const std::string& output) const {
    (void)output;
    return {};
  }

  virtual std::vector<std::string> cancel_argv(const std::string& id) const = 0;

  virtual std::vector<std::string> queues_argv() const = 0;
  virtual std::vector<QueueInfo> parse_queues(const std::string& output) const = 0;

  // Every job the scheduler shows (in `queue` when not empty), with names.
  virtual std::vector<std::string> list_argv(const std::string& queue) const = 0;
  virtual std::vector<NativeJob> parse_list(const std::string& output) const = 0;

  // The command that gives `job` `by` more time; nullopt when unsupported.
  virtual std::optional<std::vector<std::string>> extend_argv(const NativeJob& job,
                                                              std::chrono::seconds by) const {
    (void)job;
    (void)by;
    return std::nullopt;
  }

  // The one place that reads a command's exit code and stderr to decide what happened.
  virtual CommandOutcome classify(const std::vector<std::string>& argv,
                                  const CommandResult& result) const = 0;
};

}  // namespace cuttle::detail
