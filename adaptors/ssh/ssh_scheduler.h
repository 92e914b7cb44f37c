// The ssh:// scheduler: jobs run detached on a remote host through the shared sandbox
// wrapper (setsid + nohup, so they survive a dropped connection), one sandbox per job
// under sandbox.root on the remote. The state of ALL active jobs of one scheduler comes
// from ONE remote command per poll, on a background thread that runs only while jobs
// are active. The final state comes from the wrapper's markers: a job whose process
// vanished without an exit marker is Error "lost", never Completed. Staging in and out
// (and the job's stdout/stderr files) move through SFTP.
// Thread-safety: as Scheduler; listeners are called on the poll thread (or the caller's).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adaptors/ssh/remote.h"
#include "cuttle/sandbox.h"
#include "internal/lost_rule.h"
#include "internal/poll_loop.h"
#include "internal/scheduler_base.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail {

struct SshSchedulerOptions {
  // Parsed from the adaptor's properties; each refusal names the property.
  static SshSchedulerOptions from(const Properties& properties);

  std::string sandbox_root = "~/.cuttle/jobs";  // on the remote; "~" is the remote home
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::seconds cancel_grace{5};          // TERM to KILL, enforced by the wrapper
  std::chrono::milliseconds start_grace{30000};  // a wrapper must record its pid within this
  CleanupPolicy cleanup = CleanupPolicy::kNever;
  LostRule lost_rule;
};

// The ssh:// properties: ssh_property_descriptors() plus the scheduler's own.
std::vector<PropertyDescriptor> ssh_scheduler_property_descriptors();

class SshScheduler : public SchedulerBase, public std::enable_shared_from_this<SshScheduler> {
 public:
  // Constructs the scheduler and starts its poll thread (which holds it only weakly).
  static std::shared_ptr<SshScheduler> create(Location location, Remote remote,
                                              SshSchedulerOptions options);
  SshScheduler(Location location, Remote remote, SshSchedulerOptions options);
  ~SshScheduler() override;

  std::string adaptor_name() const override { return "ssh"; }
  const Location& location() const override { return location_; }
  Capabilities capabilities() const override;
  std::string submit(const JobDescription& description) override;
  std::vector<JobStatus> statuses(const std::vector<std::string>& ids) override;
  JobStatus cancel(const std::string& id) override;
  // Moves the wrapper's deadline (the allocation marker it reads when time runs out).
  JobStatus extend(const std::string& id, std::chrono::seconds by) override;
  std::vector<std::string> jobs(const std::string& queue = {}) override;
  std::shared_ptr<FileSystem> job_files() override { return remote_.files; }
  std::vector<std::string> find_by_name(const std::string& name) override;
  void track(const std::string& id) override;
  // Afterwards track() finds the job again from its remote sandbox.
  void forget(const std::string& id) override;

 private:
  struct Job {
    std::string sandbox;                        // absolute, on the remote
    std::optional<JobDescription> description;  // unknown for re-attached jobs
    TimePoint submitted;
    MissingClock missing;  // since when the wrapper is gone without an exit marker
  };

  const std::string& sandbox_root();
  std::string launch(const std::string& sandbox, const std::string& wrapper);
  // One remote command for all `ids`; publishes and returns what it observed.
  std::map<std::string, JobStatus> poll(const std::vector<std::string>& ids);
  JobStatus observe(const std::string& id, Job& job, const MarkerState& marker);
  // The finish step (core's, shared by every adaptor) for a job just seen final.
  JobStatus finish(const std::string& id, JobStatus status);
  std::vector<std::string> active_jobs();
  void wake_poller();

  bool poll_round();  // one poll of every active job; true when there were any

  const Location location_;
  const Remote remote_;
  const SshSchedulerOptions options_;
  std::shared_ptr<FileSystem> client_files_;

  std::mutex mutex_;  // guards jobs_, root_, home_
  std::map<std::string, Job> jobs_;
  std::string root_;
  std::string home_;
  std::recursive_mutex poll_mutex_;  // one poll at a time (thread and statuses())
  // Last: stopped (and joined) before the members its rounds use are destroyed.
  PollLoop poll_;
};

}  // namespace cuttle::detail
