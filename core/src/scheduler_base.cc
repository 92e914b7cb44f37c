// SchedulerBase: the status table, the transition rule applied to every observation,
// waits on a condition variable, and listeners that can be dropped at any moment.
#include "internal/scheduler_base.h"

#include <algorithm>
#include <thread>

#include "cuttle/error.h"

namespace cuttle::detail {

// One registered listener. The Subscription and the scheduler share it, so either may
// go first; calls and removal synchronise on the entry itself, never on the scheduler.
struct SchedulerBase::ListenerEntry {
  explicit ListenerEntry(StatusListener fn) : listener(std::move(fn)) {}

  void call(const JobStatus& status) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!active) return;
      callers.push_back(std::this_thread::get_id());
    }
    try {
      listener(status);
    } catch (...) {
      // A listener's failure is its own; the adaptor thread must go on publishing.
    }
    std::lock_guard<std::mutex> lock(mutex);
    callers.erase(std::find(callers.begin(), callers.end(), std::this_thread::get_id()));
    if (callers.empty() || !active) idle.notify_all();
  }

  // After this returns the listener is never called again and no call is running,
  // except one on this very thread (a listener dropping its own subscription).
  void deactivate() {
    std::unique_lock<std::mutex> lock(mutex);
    active = false;
    auto this_thread = std::this_thread::get_id();
    idle.wait(lock, [&] {
      return std::all_of(callers.begin(), callers.end(),
                         [&](std::thread::id id) { return id == this_thread; });
    });
  }

  bool is_active() {
    std::lock_guard<std::mutex> lock(mutex);
    return active;
  }

  StatusListener listener;
  std::mutex mutex;
  std::condition_variable idle;
  std::vector<std::thread::id> callers;
  bool active = true;
};

class SchedulerBase::SubscriptionImpl : public Subscription {
 public:
  explicit SubscriptionImpl(std::shared_ptr<ListenerEntry> entry) : entry_(std::move(entry)) {}
  ~SubscriptionImpl() override { entry_->deactivate(); }

 private:
  std::shared_ptr<ListenerEntry> entry_;
};

namespace {

bool reached_running(const JobStatus& status) {
  return status.done() || status.state == JobState::kRunning ||
         status.state == JobState::kStagingOut;
}

bool differs(const JobStatus& a, const JobStatus& b) {
  return a.state != b.state || a.reason != b.reason || a.exit_code != b.exit_code ||
         a.attempt != b.attempt || a.deadline != b.deadline || a.error != b.error;
}

// An observation may omit what an earlier one told us (a poll that does not report the
// start time); keep the times we already know.
void keep_known_times(JobStatus& next, const JobStatus& previous) {
  if (next.attempt != previous.attempt) return;
  if (!next.submitted) next.submitted = previous.submitted;
  if (!next.started) next.started = previous.started;
  if (!next.finished) next.finished = previous.finished;
  if (!next.deadline) next.deadline = previous.deadline;
}

}  // namespace

JobStatus SchedulerBase::publish(JobStatus status) {
  std::shared_ptr<std::vector<std::shared_ptr<ListenerEntry>>> listeners;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = table_.find(status.id);
    if (it == table_.end()) {
      it = table_.emplace(status.id, status).first;
    } else {
      JobStatus& previous = it->second;
      // A new attempt starts over from New; within one attempt states only move forward,
      // and a report from an older attempt is stale.
      if (status.attempt < previous.attempt) return previous;
      if (status.attempt == previous.attempt &&
          !is_valid_transition(previous.state, status.state)) {
        return previous;
      }
      keep_known_times(status, previous);
      bool changed = differs(previous, status);
      previous = status;
      if (!changed) return previous;
    }
    changed_.notify_all();
    listeners = listeners_;
    if (!listeners) return it->second;
    status = it->second;
  }
  for (const std::shared_ptr<ListenerEntry>& entry : *listeners) {
    entry->call(status);
  }
  return status;
}

std::optional<JobStatus> SchedulerBase::cached(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = table_.find(id);
  if (it == table_.end()) return std::nullopt;
  return it->second;
}

bool SchedulerBase::finished(const std::string& id) const {
  const std::optional<JobStatus> status = cached(id);
  return status && status->done();
}

std::vector<std::string> SchedulerBase::active_ids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, status] : table_) {
    if (!status.done()) ids.push_back(id);
  }
  return ids;
}

void SchedulerBase::forget(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = table_.find(id);
  if (it == table_.end() || !it->second.done()) return;
  table_.erase(it);
  changed_.notify_all();
}

void SchedulerBase::ensure_known(const std::string& id) {
  track(id);
  publish(status(id));
}

std::shared_ptr<Subscription> SchedulerBase::subscribe(StatusListener listener) {
  if (!listener) throw InvalidArgument("subscribe needs a listener");
  auto entry = std::make_shared<ListenerEntry>(std::move(listener));
  std::lock_guard<std::mutex> lock(mutex_);
  // Copy on write: publish() iterates a snapshot outside the lock. Dropped listeners
  // are pruned here rather than by the Subscription, which may outlive the scheduler.
  auto next = std::make_shared<std::vector<std::shared_ptr<ListenerEntry>>>();
  if (listeners_) {
    for (const auto& existing : *listeners_) {
      if (existing->is_active()) next->push_back(existing);
    }
  }
  next->push_back(entry);
  listeners_ = std::move(next);
  return std::make_shared<SubscriptionImpl>(std::move(entry));
}

JobStatus SchedulerBase::wait_until_running(const std::string& id,
                                            std::chrono::milliseconds timeout) {
  return wait_for(id, timeout, false);
}

JobStatus SchedulerBase::wait_until_done(const std::string& id, std::chrono::milliseconds timeout) {
  return wait_for(id, timeout, true);
}

JobStatus SchedulerBase::wait_for(const std::string& id, std::chrono::milliseconds timeout,
                                  bool until_done) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!cached(id)) ensure_known(id);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    auto it = table_.find(id);
    if (it == table_.end()) throw NoSuchJob(id);
    const JobStatus& status = it->second;
    if (until_done ? status.done() : reached_running(status)) return status;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      it = table_.find(id);
      if (it == table_.end()) throw NoSuchJob(id);
      return it->second;
    }
  }
}

}  // namespace cuttle::detail
