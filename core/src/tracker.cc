// Tracker: schedulers push statuses into one queue; one thread takes them out in order,
// drops repeats and stale observations, and calls the listeners without holding a lock,
// so a listener may call back into the tracker.
#include "cuttle/tracker.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "cuttle/error.h"
#include "internal/exit_joins.h"

namespace cuttle {
namespace {

// Whether `next` tells a listener something new after `last` was delivered: a new
// attempt, or a forward move of the state. Older or repeated observations are dropped.
bool is_news(const JobStatus& last, const JobStatus& next) {
  if (next.attempt != last.attempt) return next.attempt > last.attempt;
  return next.state != last.state && is_valid_transition(last.state, next.state);
}

}  // namespace

namespace detail {

// Shared with the delivery thread and the scheduler listeners (through weak pointers),
// so neither touches freed memory whatever order things stop in.
struct TrackerState {
  using Key = std::pair<const Scheduler*, std::string>;
  struct Watched {
    std::shared_ptr<Scheduler> scheduler;
    std::optional<JobStatus> last;
  };

  std::mutex mutex;
  std::condition_variable wake;  // the delivery thread
  std::condition_variable idle;  // wait_idle() and remove_listener()
  std::deque<TrackedChange> queue;
  std::map<Key, Watched> watched;
  std::map<const Scheduler*, std::shared_ptr<Subscription>> subscriptions;
  std::map<Tracker::ListenerId, std::shared_ptr<Tracker::Listener>> listeners;
  Tracker::ListenerId next_listener = 1;
  std::optional<Tracker::ListenerId> calling;
  bool delivering = false;
  bool stopping = false;
  std::thread::id delivery_thread;

  // REQUIRES: mutex held.
  void enqueue(const std::shared_ptr<Scheduler>& scheduler, const JobStatus& status) {
    queue.push_back(TrackedChange{scheduler, status});
    wake.notify_one();
  }

  // REQUIRES: mutex held.
  bool idle_now() const {
    if (!watched.empty()) return false;
    if (std::this_thread::get_id() == delivery_thread) return true;
    return queue.empty() && !delivering;
  }

  void run(std::unique_lock<std::mutex>& lock) {
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (stopping) return;
      TrackedChange change = std::move(queue.front());
      queue.pop_front();
      if (accept(change)) deliver(change, lock);
      idle.notify_all();
    }
  }

  // REQUIRES: mutex held.
  bool accept(const TrackedChange& change) {
    auto it = watched.find(Key(change.scheduler.get(), change.status.id));
    if (it == watched.end()) return false;
    if (it->second.last && !is_news(*it->second.last, change.status)) return false;
    it->second.last = change.status;
    if (change.status.done()) watched.erase(it);
    return true;
  }

  void deliver(const TrackedChange& change, std::unique_lock<std::mutex>& lock) {
    std::vector<std::pair<Tracker::ListenerId, std::shared_ptr<Tracker::Listener>>> snapshot(
        listeners.begin(), listeners.end());
    delivering = true;
    for (auto& [id, listener] : snapshot) {
      if (stopping) break;
      if (listeners.count(id) == 0) continue;  // removed by an earlier listener
      calling = id;
      lock.unlock();
      try {
        (*listener)(change);
      } catch (...) {
        // A listener's failure must not stop delivery to the others.
      }
      lock.lock();
      calling.reset();
      idle.notify_all();
    }
    delivering = false;
  }
};

}  // namespace detail

using detail::TrackerState;

struct Tracker::Impl {
  std::shared_ptr<TrackerState> state = std::make_shared<TrackerState>();
  std::thread thread;
};

Tracker::Tracker() : impl_(std::make_unique<Impl>()) {
  std::shared_ptr<TrackerState> state = impl_->state;
  std::unique_lock<std::mutex> lock(state->mutex);
  impl_->thread = std::thread([state] {
    std::unique_lock<std::mutex> thread_lock(state->mutex);
    state->run(thread_lock);
  });
  state->delivery_thread = impl_->thread.get_id();
}

Tracker::~Tracker() {
  TrackerState& state = *impl_->state;
  std::map<const Scheduler*, std::shared_ptr<Subscription>> subscriptions;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    state.stopping = true;
    subscriptions.swap(state.subscriptions);
    state.queue.clear();
    state.wake.notify_all();
    state.idle.notify_all();
  }
  subscriptions.clear();  // outside the lock: a running scheduler listener needs it
  if (std::this_thread::get_id() == impl_->thread.get_id()) {
    detail::join_at_exit(std::move(impl_->thread));  // destroyed by one of its own listeners
  } else {
    impl_->thread.join();
  }
}

void Tracker::watch(const std::shared_ptr<Scheduler>& scheduler, const std::string& job_id) {
  if (!scheduler) throw InvalidArgument("watch needs a scheduler");
  std::shared_ptr<TrackerState> state = impl_->state;
  TrackerState::Key key(scheduler.get(), job_id);
  bool need_subscription = false;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->stopping || state->watched.count(key) != 0) return;
    state->watched[key] = TrackerState::Watched{scheduler, std::nullopt};
    need_subscription = state->subscriptions.count(scheduler.get()) == 0;
  }
  try {
    if (need_subscription) {
      std::weak_ptr<TrackerState> weak = state;
      const Scheduler* raw = scheduler.get();
      std::shared_ptr<Subscription> subscription =
          scheduler->subscribe([weak, raw](const JobStatus& status) {
            std::shared_ptr<TrackerState> alive = weak.lock();
            if (!alive) return;
            std::lock_guard<std::mutex> lock(alive->mutex);
            auto it = alive->watched.find(TrackerState::Key(raw, status.id));
            if (it != alive->watched.end()) alive->enqueue(it->second.scheduler, status);
          });
      std::unique_lock<std::mutex> lock(state->mutex);
      if (state->subscriptions.count(scheduler.get()) == 0 && !state->stopping) {
        state->subscriptions[scheduler.get()] = std::move(subscription);
      } else {
        lock.unlock();
        subscription.reset();  // another watch() got there first
      }
    }
    scheduler->track(job_id);
    JobStatus current = scheduler->status(job_id);
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->watched.count(key) != 0) state->enqueue(scheduler, current);
  } catch (...) {
    std::lock_guard<std::mutex> lock(state->mutex);
    state->watched.erase(key);
    state->idle.notify_all();
    throw;
  }
}

Tracker::ListenerId Tracker::add_listener(Listener listener) {
  if (!listener) throw InvalidArgument("add_listener needs a listener");
  TrackerState& state = *impl_->state;
  std::lock_guard<std::mutex> lock(state.mutex);
  ListenerId id = state.next_listener++;
  state.listeners[id] = std::make_shared<Listener>(std::move(listener));
  return id;
}

void Tracker::remove_listener(ListenerId id) {
  TrackerState& state = *impl_->state;
  std::unique_lock<std::mutex> lock(state.mutex);
  state.listeners.erase(id);
  // After this returns the listener is not running, unless we are inside it.
  if (std::this_thread::get_id() != state.delivery_thread) {
    state.idle.wait(lock, [&] { return state.calling != id; });
  }
}

std::size_t Tracker::active() const {
  TrackerState& state = *impl_->state;
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.watched.size();
}

bool Tracker::wait_idle(std::chrono::milliseconds timeout) {
  TrackerState& state = *impl_->state;
  std::unique_lock<std::mutex> lock(state.mutex);
  return state.idle.wait_for(lock, timeout, [&] { return state.idle_now() || state.stopping; }) &&
         state.idle_now();
}

}  // namespace cuttle
