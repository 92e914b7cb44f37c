// Machinery every adaptor shares: the table of last known statuses, the transition
// validator applied to every observation, listeners, and the waits built on them.
// Adaptors derive from SchedulerBase, implement submit/statuses/cancel/jobs/track, and
// call publish() whenever they observe a job's state.
// Thread-safety: all methods are safe to call concurrently; publish() calls listeners
// on the calling thread after releasing its lock.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/scheduler.h"

namespace cuttle::detail {

class SchedulerBase : public Scheduler {
 public:
  JobStatus wait_until_running(const std::string& id, std::chrono::milliseconds timeout) override;
  JobStatus wait_until_done(const std::string& id, std::chrono::milliseconds timeout) override;
  std::shared_ptr<Subscription> subscribe(StatusListener listener) override;
  // Drops the cached status of a finished job (an active one is kept). Adaptors that
  // hold more per job override it, drop theirs when the job is done, and call this.
  void forget(const std::string& id) override;

 protected:
  // Records an observation. An invalid transition (e.g. out of a final state) is
  // dropped and the cached status is returned unchanged; a valid one that changes
  // state, reason or exit code wakes waiters and calls every listener.
  // Returns the status now cached.
  JobStatus publish(JobStatus status);
  std::optional<JobStatus> cached(const std::string& id) const;
  // Whether the cached status of `id` is final (what forget() requires).
  bool finished(const std::string& id) const;
  // Ids whose cached state is not final.
  std::vector<std::string> active_ids() const;
  // The ids of an adaptor's own job table (a map keyed by id), for jobs().
  // REQUIRES: the caller holds the lock that guards `jobs`.
  template <class JobTable>
  static std::vector<std::string> ids_of(const JobTable& jobs) {
    std::vector<std::string> ids;
    ids.reserve(jobs.size());
    for (const auto& [id, job] : jobs) ids.push_back(id);
    return ids;
  }

  // Called by the waits when a job is not cached yet: defaults to track(id) and a
  // publish of status(id).
  virtual void ensure_known(const std::string& id);

 private:
  JobStatus wait_for(const std::string& id, std::chrono::milliseconds timeout, bool until_done);

  struct ListenerEntry;
  class SubscriptionImpl;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, JobStatus> table_;
  std::shared_ptr<std::vector<std::shared_ptr<ListenerEntry>>> listeners_;
};

}  // namespace cuttle::detail
