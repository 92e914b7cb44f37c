// Keeps this instance's lease in the job store and takes over dead instances' jobs, on
// two threads so that renewing never waits behind adoption work. Every ttl/3 one renews
// the lease (a lapsed lease gets a new fencing token: writes for jobs adopted meanwhile
// are then refused by the store, see Fenced); every check_interval the other looks for
// instances whose lease expired, adopts their unfinished jobs on shared schedulers and
// hands the ids to `on_adopted` (which re-attaches to them and takes over their callback
// outbox).
// Thread-safety: start()/stop() from one thread; on_adopted runs on the adopting thread.
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
  // starts the renewing and adopting threads.
  void start();
  void stop();

  std::int64_t token() const { return token_; }

 private:
  // Runs `step` every `period` until stop(); logs what it throws.
  void every(std::chrono::milliseconds period, void (LeaseKeeper::*step)());
  void renew();
  void adopt();

  JobStore& store_;
  const std::string instance_;
  const LeaseConfig config_;
  const std::vector<std::string> shared_;
  const std::function<void(const std::vector<std::string>&)> on_adopted_;

  std::atomic<std::int64_t> token_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread renewer_;
  std::thread adopter_;
};

}  // namespace cuttle::rest
