// The kubernetes:// scheduler: one batch/v1 Job per job (named from the job key, retries
// left to core), observed through two informers of the namespace (Jobs and their pods,
// selected by the adaptor's label), so statuses() reads a cache and makes no API call in
// steady state. Work that needs the API — fetching logs and patching the TTL of a job that
// ended, retrying a create refused by a quota, turning a pod blocked too long into Error,
// force-deleting pods stuck Terminating after a cancel, the lost rule — runs in core's
// poll loop, woken by the informers.
// Thread-safety: as Scheduler; listeners are called on the poll loop's or the caller's
// thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adaptors/kubernetes/api_client.h"
#include "adaptors/kubernetes/informer.h"
#include "adaptors/kubernetes/job_outcome.h"
#include "adaptors/kubernetes/kubernetes_options.h"
#include "adaptors/kubernetes/pod_file_system.h"
#include "internal/lost_rule.h"
#include "internal/poll_loop.h"
#include "internal/scheduler_base.h"

namespace cuttle::detail {

class KubernetesScheduler : public SchedulerBase,
                            public std::enable_shared_from_this<KubernetesScheduler> {
 public:
  // Connects (GET /version, so a refused credential fails here, naming server and user),
  // starts the informers and the poll loop.
  static std::shared_ptr<KubernetesScheduler> create(Location location, ClusterAccess access,
                                                     KubernetesOptions options);
  KubernetesScheduler(Location location, std::shared_ptr<ApiClient> api, KubernetesOptions options);
  ~KubernetesScheduler() override;

  std::string adaptor_name() const override { return "kubernetes"; }
  const Location& location() const override { return location_; }
  Capabilities capabilities() const override;
  std::string submit(const JobDescription& description) override;
  std::vector<JobStatus> statuses(const std::vector<std::string>& ids) override;
  JobStatus cancel(const std::string& id) override;
  JobStatus extend(const std::string& id, std::chrono::seconds by) override;
  std::vector<std::string> jobs(const std::string& queue = {}) override;
  std::vector<std::string> find_by_name(const std::string& name) override;
  std::shared_ptr<FileSystem> job_files() override;
  void track(const std::string& id) override;

  // For benchmarks: every request this scheduler's client sent.
  std::uint64_t api_requests() const { return api_->requests(); }

 private:
  struct Job {
    std::optional<JobDescription> description;  // unknown for re-attached jobs
    TimePoint submitted;
    bool created = false;        // the API server holds the Job
    std::string create_refusal;  // why the last create was refused (quota)
    TimePoint next_create;
    std::string blocked_by;  // waiting reason keeping the pod from starting
    TimePoint blocked_since;
    std::optional<Outcome> final_outcome;  // seen final; finish() pending
    bool finished = false;                 // the final status was published
    bool cancelled = false;
    TimePoint cancelled_at;
    bool deleted = false;  // the Job object is gone
    MissingClock missing;
    nlohmann::json pod;         // the newest pod seen (kept after it is deleted)
    bool dirty = false;         // an informer saw a change: update() in the next round
    bool wrapped = false;       // runs under the staging wrapper (job_manifest.h)
    bool staged_in = false;     // inputs are in /work and the command was released
    bool command_done = false;  // outputs were copied back and the pod released
    std::string stage_out_problems;
    std::optional<TimePoint> final_seen;  // first seen final without an exit code
    // The largest time allocation this object wrote into the pod (kubernetes_extend.cc).
    std::optional<std::int64_t> allocation_in_pod;
  };

  std::string collection(const char* group_path, const char* resource) const;
  std::string job_path(const std::string& id) const;
  // POSTs the Job; false when a quota refused it (retried later).
  bool create_job(const std::string& id, const JobDescription& description);
  // Informer handlers: record and wake the poll loop, which publishes. Listeners then never
  // run on an informer thread, so the last reference is never dropped there.
  void on_job_event(const std::string& type, const nlohmann::json& object);
  void on_pod_event(const std::string& type, const nlohmann::json& object);
  // Recomputes a job's status from the caches; publishes it or queues the finish.
  void update(const std::string& id);
  // The newest of the job's pods, read from the API server (null if it has none;
  // nullopt if the read failed): the truth when the pod informer may be behind.
  std::optional<nlohmann::json> fetch_newest_pod(const std::string& id);
  JobStatus status_from(const std::string& id, const Job& job, const Outcome& outcome) const;
  bool poll_round();
  void housekeep(const std::string& id, TimePoint now);
  // Captures logs, publishes the final status, then patches the TTL.
  void finish(const std::string& id, Outcome outcome, bool patch_ttl);
  void fetch_logs(const std::string& id, const Job& job, JobStatus& status);
  void delete_job(const std::string& id);
  // Deletes the Job (Background propagation) and remembers its pod for reap_pods().
  void delete_job_and_reap(const std::string& id);
  // Pods still Terminating cancel.grace after their Job was deleted: gracePeriodSeconds=0.
  void reap_pods(TimePoint now);
  std::string log_directory(const std::string& id) const;
  // Staging (kubernetes_staging.cc).
  std::shared_ptr<PodFileSystem> pod_files(const Job& job, const std::string& container) const;
  void stage_in(const std::string& id, const Job& job);
  void collect_outputs(const std::string& id, const Job& job);
  void apply_staging_outcome(const std::string& id, const Job& job, JobStatus& status) const;
  std::chrono::milliseconds grace_for(const std::string& blocked_by) const;
  // Extend (kubernetes_extend.cc): records the extension on the Job (its allocation
  // annotation and the backstop) and returns the Job as the server answered.
  nlohmann::json record_extension(const std::string& id, std::chrono::seconds by);
  // Writes the Job `object`'s allocation into the pod's allocation marker when the pod's
  // wrapper was not told of it yet and a container of the pod runs; `from_extend`: errors
  // are thrown (else they are logged and the next round tries again).
  void deliver_allocation(const std::string& id, const Job& job, const nlohmann::json& object,
                          bool from_extend);

  const Location location_;
  const std::shared_ptr<ApiClient> api_;
  const KubernetesOptions options_;
  const std::string namespace_;

  std::mutex mutex_;  // guards jobs_, reaping_
  std::map<std::string, Job> jobs_;
  std::map<std::string, TimePoint> reaping_;  // pod name -> when to force-delete it
  std::mutex finish_mutex_;                   // one finish at a time
  PollLoop poll_;
  // Last: joined first, before the poll loop they wake and the table they update go.
  std::unique_ptr<Informer> job_informer_;
  std::unique_ptr<Informer> pod_informer_;
};

}  // namespace cuttle::detail
