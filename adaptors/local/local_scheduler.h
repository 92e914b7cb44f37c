// The local:// scheduler: jobs are processes on this machine, started with posix_spawn in
// their own process group, their exits pushed through pidfds on the shared event loop (no
// thread per job, no polling). In detached mode each job runs through the sandbox
// wrapper in its own session and any process re-attaches to it by id.
// Thread-safety: every method may be called from any thread; listeners run on the event
// loop thread (exits) or the submitting thread (the first state of a job).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "adaptors/local/background.h"
#include "adaptors/local/local_options.h"
#include "adaptors/local/process.h"
#include "cuttle/file_system.h"
#include "internal/scheduler_base.h"

namespace cuttle::detail::local {

class LocalScheduler final : public SchedulerBase,
                             public std::enable_shared_from_this<LocalScheduler> {
 public:
  LocalScheduler(Location location, LocalOptions options);
  // Waits (bounded) for the stage-out and cleanup of jobs that finished meanwhile.
  ~LocalScheduler() override;

  std::string adaptor_name() const override { return "local"; }
  const Location& location() const override { return location_; }
  Capabilities capabilities() const override;

  std::string submit(const JobDescription& description) override;
  std::vector<JobStatus> statuses(const std::vector<std::string>& ids) override;
  JobStatus cancel(const std::string& id) override;
  // Detached jobs: moves the wrapper's deadline (attached jobs: the managed scheduler's).
  JobStatus extend(const std::string& id, std::chrono::seconds by) override;
  std::vector<std::string> jobs(const std::string& queue = {}) override;
  std::shared_ptr<FileSystem> job_files() override { return file_system_; }
  std::vector<std::string> find_by_name(const std::string& name) override;
  void track(const std::string& id) override;
  // A detached job is read again from its sandbox afterwards; an attached one is gone.
  void forget(const std::string& id) override;

 private:
  struct Job;
  using JobPtr = std::shared_ptr<Job>;

  JobPtr prepare_attached(const JobDescription& description);
  JobPtr prepare_detached(const JobDescription& description);
  // Counts a slot or queues the job; returns true when it may start now.
  bool admit(const JobPtr& job);
  // Spawns and watches; throws InvalidJobDescription / InternalError when spawn fails.
  void start(const JobPtr& job);
  void start_queued(const JobPtr& job);
  SpawnSpec spawn_spec(const Job& job) const;
  void watch(const JobPtr& job, int pidfd);
  static void on_readable(const std::weak_ptr<LocalScheduler>& weak, const JobPtr& job);
  void finish(const JobPtr& job, const std::optional<ExitInfo>& exit);
  JobStatus final_status(const Job& job, const std::optional<ExitInfo>& exit) const;
  void conclude(const JobPtr& job, JobStatus status);
  void release_slot(const JobPtr& job);
  // Attached jobs with dependencies wait here, in this process, until each dependency's
  // status decides; called whenever a job starts or ends (local_dependencies.cc).
  void hold(const JobPtr& job);
  void release_held();
  void signal_group(const JobPtr& job, int signal);
  void arm_kill_timer(const JobPtr& job);

  JobPtr find(const std::string& id) const;
  // Detached: builds the job from its sandbox (NoSuchJob when there is none).
  JobPtr attach(const std::string& id);
  JobStatus observe_detached(const JobPtr& job);
  std::string sandbox_of(const std::string& id) const;
  JobStatus base_status(const Job& job, JobState state, std::string native) const;
  // Queued: the wrapper holds the job until its dependencies are met (dependency_wait.h).
  JobStatus waiting_status(const Job& job) const;

  Location location_;
  LocalOptions options_;
  std::shared_ptr<LocalFileSystem> file_system_;
  std::atomic<std::uint64_t> next_number_{1};

  mutable std::mutex mutex_;  // guards jobs_, queue_, running_ and Job's guarded fields
  std::unordered_map<std::string, JobPtr> jobs_;
  std::deque<JobPtr> queue_;
  std::vector<JobPtr> held_;  // attached jobs waiting for their dependencies
  std::size_t running_ = 0;
  BackgroundWork finishing_;  // stage-out and cleanup of concluded jobs
};

}  // namespace cuttle::detail::local
