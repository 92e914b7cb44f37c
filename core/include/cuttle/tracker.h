// Watches many jobs across schedulers and delivers their state changes to listeners on
// the tracker's own thread, in order per job, each change once. Schedulers push changes
// (local: pidfd exits; batch: one status command per scheduler per poll interval), so
// watching a thousand jobs costs no more round trips than watching one.
// Thread-safety: every method may be called from any thread, including from a listener.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cuttle/job_status.h"
#include "cuttle/scheduler.h"

namespace cuttle {

struct TrackedChange {
  std::shared_ptr<Scheduler> scheduler;
  JobStatus status;
};

class Tracker {
 public:
  using Listener = std::function<void(const TrackedChange&)>;
  using ListenerId = std::uint64_t;

  Tracker();
  ~Tracker();  // stops the thread; pending changes are dropped
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Starts watching `job_id` on `scheduler` (calls scheduler->track()). The current
  // status is delivered first, then every change until the job is final.
  void watch(const std::shared_ptr<Scheduler>& scheduler, const std::string& job_id);
  ListenerId add_listener(Listener listener);
  void remove_listener(ListenerId id);
  // How many watched jobs are not yet final.
  std::size_t active() const;
  // Blocks until no watched job is active or the timeout passes; true when none is.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuttle
