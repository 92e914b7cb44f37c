// One worker thread, started on first use and shared by every local scheduler, for the
// slow file work that must not run on the event loop (stage-out and cleanup of finished
// jobs).
// Thread-safety: every function may be called from any thread; tasks run one at a time,
// in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace cuttle::detail::local {

void run_in_background(std::function<void()> task);

// The background tasks of one owner, counted so the owner can wait for them as it goes
// away: a short-lived process (the `cuttle` command) must not exit with a job's stage-out
// or cleanup still queued, or nobody does it.
class BackgroundWork {
 public:
  // Runs `task` on the shared worker. The task must not need its owner to do its work
  // (the owner may be waiting in its destructor).
  void run(std::function<void()> task);
  // Waits until every task run() so far has returned, at most `limit`. Returns at once on
  // the worker thread itself (a task dropping its owner's last reference).
  void wait_idle(std::chrono::milliseconds limit);

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable idle;
    std::size_t pending = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace cuttle::detail::local
