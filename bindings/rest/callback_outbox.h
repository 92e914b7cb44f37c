// Delivers status callbacks from the durable outbox: a PUT of the status document to
// the job's status_callback_url, MAC-signed when a key matches the target's host:port,
// sent at once and retried with exponential backoff. Callbacks of one job go out in
// order (the next waits until the previous one is delivered or abandoned); different
// jobs do not wait for each other. Thread-safety: enqueue() from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bindings/rest/config.h"
#include "bindings/rest/job_store.h"
#include "bindings/rest/metrics.h"

namespace cuttle::rest {

class CallbackOutbox {
 public:
  CallbackOutbox(const Config& config, JobStore& store, Metrics& metrics);
  ~CallbackOutbox();
  CallbackOutbox(const CallbackOutbox&) = delete;
  CallbackOutbox& operator=(const CallbackOutbox&) = delete;

  // Queues rows recorded in the store (in seq order per job).
  void enqueue(OutboxRow row);
  void stop();

 private:
  struct JobQueue {
    std::deque<OutboxRow> rows;
    int failures = 0;
    std::chrono::steady_clock::time_point due;
    bool in_flight = false;
  };
  struct Shard {
    std::mutex mutex;
    std::condition_variable wake;
    std::map<std::string, JobQueue> jobs;
    std::set<std::pair<std::chrono::steady_clock::time_point, std::string>> ready;
    std::thread thread;
  };

  // kDone: delivered already; kFenced: the job's new owner sends it, we forget it.
  enum class Permission { kSend, kDone, kFenced, kRetry };

  void run(Shard& shard);
  Permission may_deliver(const OutboxRow& row);
  // true when the receiver answered 2xx.
  bool deliver(const OutboxRow& row);

  const Config& config_;
  JobStore& store_;
  Metrics& metrics_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> stopping_{false};
};

}  // namespace cuttle::rest
