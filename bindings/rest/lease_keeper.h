// Keeps this instance's lease in the job store and takes over dead instances' jobs.
// Every ttl/3 it renews the lease (a lapsed lease gets a new fencing token: writes for
// jobs adopted meanwhile are then refused by the store, see Fenced); every
// check_interval it looks for instances whose lease expired and adopts their unfinished
// jobs on shared schedulers, handing the ids to `on_adopted` (which re-attaches to them
// and takes over their callback outbox).
// Thread-safety: start()/stop() from one thread; on_adopted runs on the keeper's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bindings/rest/config.h"
#include "bindings/rest/job_store.h"

namespace cuttle::rest {

class LeaseKeeper {
 public:
  LeaseKeeper(JobStore& store, std::string instance, LeaseConfig config,
              std::vector<std::string> shared_schedulers,
              std::function<void(const std::vector<std::string>&)> on_adopted);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Takes the lease (throws StoreUnavailable when the store cannot be reached), then
  // starts the renewing thread.
  void start();
  void stop();

  std::int64_t token() const { return token_; }
  // Adopted jobs so far (metrics).
  std::uint64_t adopted() const { return adopted_; }

 private:
  void loop();
  void renew();
  void adopt();

  JobStore& store_;
  const std::string instance_;
  const LeaseConfig config_;
  const std::vector<std::string> shared_;
  const std::function<void(const std::vector<std::string>&)> on_adopted_;

  std::atomic<std::int64_t> token_{0};
  std::atomic<std::uint64_t> adopted_{0};
  std::chrono::steady_clock::time_point renew_due_{};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cuttle::rest
