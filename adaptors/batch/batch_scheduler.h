// The one batch-scheduler engine: sandbox + wrapper, staging through a FileSystem,
// submission, ONE status command per poll for every tracked job, final-state
// resolution (queue, accounting, markers, grace), cancel, extend, queue listing.
// A BatchDialect supplies the scheduler-specific argv and parsers; a CommandRunner and
// FileSystem say where they run (this machine, or a host over SSH).
// Thread-safety: as Scheduler; one poll thread per instance publishes changes.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adaptors/batch/dialect.h"
#include "adaptors/batch/resolution.h"
#include "cuttle/command_runner.h"
#include "cuttle/file_system.h"
#include "cuttle/properties.h"
#include "cuttle/sandbox.h"
#include "internal/lost_rule.h"
#include "internal/poll_loop.h"
#include "internal/rate_limiter.h"
#include "internal/scheduler_base.h"

namespace cuttle::detail {

// Properties every batch adaptor accepts (poll bounds, grace, sandbox root, cleanup,
// command timeout).
std::vector<PropertyDescriptor> batch_property_descriptors();

struct BatchSettings {
  // Parsed from the adaptor's properties; each refusal names the property.
  static BatchSettings from(const Properties& properties);

  std::chrono::milliseconds poll_min{1000};
  std::chrono::milliseconds poll_max{5000};
  std::chrono::milliseconds lost_grace{60000};
  std::chrono::seconds cancel_grace{5};  // TERM to KILL, enforced by the wrapper
  std::chrono::milliseconds command_timeout{60000};
  std::string sandbox_root;   // absolute on the target; empty: <home>/.cuttle/jobs
  std::string default_queue;  // for jobs that name none; empty: the scheduler's default
  CleanupPolicy cleanup = CleanupPolicy::kNever;
  // How long a submit backs off and tries again while the controller does not answer or
  // says it is busy, before the submit fails (0: fail at once).
  std::chrono::milliseconds submit_busy_wait{60000};
  // At most one submit per interval (0: no limit) and at most this many of this object's
  // jobs submitted and not yet final (0: no limit); an excess submit waits in submit().
  std::chrono::milliseconds submit_interval{0};
  std::int64_t max_in_flight = 0;
};

class BatchScheduler : public SchedulerBase, public std::enable_shared_from_this<BatchScheduler> {
 public:
  BatchScheduler(std::string adaptor_name, Location location, std::unique_ptr<BatchDialect> dialect,
                 std::shared_ptr<CommandRunner> runner, std::shared_ptr<FileSystem> files,
                 BatchSettings settings);
  ~BatchScheduler() override;

  std::string adaptor_name() const override { return adaptor_name_; }
  const Location& location() const override { return location_; }
  Capabilities capabilities() const override { return dialect_->capabilities(); }

  std::string submit(const JobDescription& description) override;
  std::vector<JobStatus> statuses(const std::vector<std::string>& ids) override;
  std::vector<StatusAnswer> status_answers(const std::vector<std::string>& ids) override;
  JobStatus cancel(const std::string& id) override;
  JobStatus extend(const std::string& id, std::chrono::seconds by) override;
  std::vector<QueueInfo> queues() override;
  std::vector<std::string> jobs(const std::string& queue = {}) override;
  std::shared_ptr<FileSystem> job_files() override { return files_; }
  std::vector<std::string> find_by_name(const std::string& name) override;
  void track(const std::string& id) override;
  // Afterwards the job is found again by the backend id its sandbox recorded.
  void forget(const std::string& id) override;

  // How many scheduler commands this instance has run (status, accounting, markers,
  // submit, ...). For tests and benchmarks.
  std::uint64_t commands_run() const { return commands_run_.load(); }

 private:
  struct Tracked {
    std::string sandbox;                        // empty when the job was not submitted by Cuttle
    std::string job_name;                       // the scheduler-side name, when known
    std::optional<JobDescription> description;  // for stage-out, when submitted here
    std::optional<std::chrono::seconds> max_runtime;  // the wrapper's allocation, when known
    bool cancel_requested = false;
    MissingClock missing;
  };

  // With `input`, the command's stdin is what it returns (CommandRunner::run_with_input).
  CommandResult run(const std::vector<std::string>& argv, const CommandOptions& options = {},
                    const std::function<std::string()>& input = {});
  // Runs argv and turns scheduler-down / failure outcomes into exceptions; returns the
  // outcome (kOk, kUnknownJob, kForbidden or kAccountingDisabled) and the result.
  // Throws ConnectionFailed when the controller did not answer, CommandFailed when the
  // command failed; returns for every other outcome.
  void raise_for(const std::vector<std::string>& argv, CommandOutcome outcome,
                 const CommandResult& result) const;
  std::pair<CommandOutcome, CommandResult> run_classified(const std::vector<std::string>& argv,
                                                          const CommandOptions& options = {});
  std::string sandbox_root();
  // Blocks until submit.interval and submit.max.in.flight allow one more submit.
  void wait_for_submit_slot();
  // Runs the submit command, fed the script `input` returns (called once, while the first
  // try starts up) unless `input` is empty; while the controller is busy or away, backs
  // off (1 s, then doubling to 30 s) for up to submit_busy_wait, first asking whether an
  // earlier try reached it after all (the job name carries our key). Throws
  // ConnectionFailed after.
  std::string submit_with_backoff(const std::vector<std::string>& argv,
                                  const std::function<std::string()>& input,
                                  const std::string& job_name);
  std::vector<std::string> ids_named(const std::string& job_name);
  void find_in_sandboxes(const std::function<bool(const std::string&)>& matches,
                         const std::set<std::string>& queued_keys, std::vector<std::string>& ids,
                         std::set<std::string>& seen);
  // One round of observation for `ids`: status (one command), accounting for the missing
  // (probed once), markers (one command), grace. Returns the statuses it could resolve.
  std::map<std::string, JobStatus> observe(const std::vector<std::string>& ids);
  std::map<std::string, NativeJob> query_status(const std::vector<std::string>& ids);
  std::map<std::string, NativeJob> query_accounting(const std::vector<std::string>& ids);
  JobStatus publish_observed(JobStatus status);
  void record_never_satisfied(const Observation& observation, const std::string& sandbox);
  void finish_job(JobStatus& status);
  // The finish step of a job (or array) whose sandbox is `sandbox_path`.
  void finish_in(JobStatus& status, const std::string& sandbox_path,
                 const std::optional<JobDescription>& description);
  void remember(const std::string& id, const NativeJob* job);
  // The submitter's record of a job's scheduler id (kBackendFile) is written off the
  // submit's path: queued here, written by write_backend_records() at the next poll
  // round, before any finish step, and when the scheduler closes. Only a crash in
  // between loses one, and the job script records its own id when it starts.
  void queue_backend_record(const std::string& markers, const std::string& id);
  void write_backend_records();
  // Finds the sandboxes of jobs submitted elsewhere by the backend id they recorded.
  void locate_sandboxes(const std::vector<std::string>& ids);
  // The description the dialect renders directives from: the scheduler's time limit is a
  // backstop behind the wrapper's own deadline.
  JobDescription scheduler_view(const JobDescription& description) const;
  // One poll round: observe every active job with one status command, publish, and
  // schedule the next round. (The wrapper ends jobs at their max runtime.)
  bool poll_round();  // returns whether any job changed state
  // Tracked jobs not known to be finished.
  std::vector<std::string> active_ids() const;
  void ensure_poller();
  void wake_poller_soon();

  // Arrays (batch_array.cc, docs/arrays.md). Each element "ID[INDEX]" is tracked like a
  // job (its sandbox the element's directory); the array id is the aggregate of them.
  struct TrackedArray {
    std::string sandbox;
    std::vector<int> indices;
    std::optional<JobDescription> description;  // when submitted here
  };
  void register_array(const std::string& id, const std::string& sandbox,
                      const std::string& job_name, const ArraySpec& spec,
                      const std::optional<JobDescription>& description);
  bool is_array(const std::string& id) const;
  // The element ids of an array (empty when `id` is not one).
  std::vector<std::string> element_ids(const std::string& array_id) const;
  // The array's status from its elements' cached ones, published (the finish step once
  // the aggregate is final).
  JobStatus publish_array(const std::string& array_id);
  // Publishes the arrays that any of `ids` is an element of.
  void publish_arrays_of(const std::vector<std::string>& ids);
  // An id the queue does not list that recorded an array spec in its (located) sandbox:
  // registered as that array. Returns whether it was one.
  bool adopt_array(const std::string& id);
  JobStatus cancel_array(const std::string& id);

  const std::string adaptor_name_;
  const Location location_;
  std::unique_ptr<BatchDialect> dialect_;
  std::shared_ptr<CommandRunner> runner_;
  std::shared_ptr<FileSystem> files_;
  const BatchSettings settings_;
  std::atomic<std::uint64_t> commands_run_{0};

  mutable std::mutex mutex_;  // guards tracked_, arrays_, sandbox_root_, accounting_
  std::map<std::string, Tracked> tracked_;
  std::map<std::string, TrackedArray> arrays_;
  std::string sandbox_root_;
  enum class Accounting { kUnknown, kEnabled, kDisabled } accounting_ = Accounting::kUnknown;

  std::mutex observe_mutex_;  // one observation round at a time (poll thread vs callers)

  std::unique_ptr<RateLimiter> submit_rate_;  // with submit.interval only
  std::mutex submit_gate_;                    // with submit.max.in.flight only

  // Submitted jobs' ids not yet recorded in their sandboxes (marker dir, id); held while
  // they are written, so a finish step that flushes them never races a write.
  std::mutex backend_records_mutex_;
  std::vector<std::pair<std::string, std::string>> backend_records_;

  // Last: stopped (and joined) before the members its rounds use are destroyed.
  PollLoop poll_;
};

}  // namespace cuttle::detail
