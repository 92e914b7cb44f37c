// The one poll loop every polling adaptor uses (batch, ssh): a thread that runs a round,
// waits an adaptive interval (back to the minimum after a change or a wake_soon(),
// 1.5 times longer up to the maximum while nothing changes), and stops cleanly. During
// its waits it holds its owner only through a weak pointer, so dropping the last
// reference ends it — even when that happens on the poll thread itself (a listener).
// Thread-safety: start(), wake_soon() and the destructor may be called from any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace cuttle::detail {

class PollInterval {
 public:
  PollInterval(std::chrono::milliseconds min, std::chrono::milliseconds max)
      : min_(min), max_(std::max(min, max)), current_(min) {}
  std::chrono::milliseconds current() const { return current_; }
  // Something changed or a job was submitted: look again soon.
  void reset() { current_ = min_; }
  // Nothing changed: wait 1.5 times longer next time, up to the maximum.
  void back_off() {
    current_ = std::min(max_, std::chrono::milliseconds(current_.count() * 3 / 2 + 1));
  }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
};

class PollLoop {
 public:
  PollLoop(std::chrono::milliseconds min, std::chrono::milliseconds max);
  ~PollLoop();  // stops; joins, or hands the thread to join_at_exit() on itself
  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  // Starts the thread once. Each round locks `owner` and calls `round(owner)`, which
  // returns whether anything changed. A round that throws is logged by the caller's
  // round itself; the loop only keeps going.
  template <class Owner>
  void start(std::weak_ptr<Owner> owner, bool (Owner::*round)()) {
    start_thread([owner = std::move(owner), round]() -> std::optional<bool> {
      std::shared_ptr<Owner> self = owner.lock();
      if (!self) return std::nullopt;
      return ((*self).*round)();
    });
  }
  // Runs the next round after the minimum interval at the latest.
  void wake_soon();
  // The owner has just observed everything a round would (a caller asked about every
  // active job): the next round comes one interval from now, not sooner.
  void defer();

 private:
  struct State;
  void start_thread(std::function<std::optional<bool>()> round);
  std::shared_ptr<State> state_;
  std::once_flag started_;
  std::thread thread_;
};

}  // namespace cuttle::detail
