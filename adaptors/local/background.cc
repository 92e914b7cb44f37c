// The shared background worker of the local adaptor.
#include "adaptors/local/background.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace cuttle::detail::local {
namespace {

class Worker {
 public:
  Worker() {
    std::thread thread([this] { loop(); });
    id_ = thread.get_id();
    thread.detach();
  }

  std::thread::id id() const { return id_; }

  void post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      try {
        task();
      } catch (...) {
        // Each task reports its own failures; the worker must survive them.
      }
    }
  }

  std::thread::id id_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
};

Worker& worker() {
  // Never destroyed: the detached thread may still wait on it while the process exits.
  static Worker* worker = new Worker;
  return *worker;
}

}  // namespace

void run_in_background(std::function<void()> task) { worker().post(std::move(task)); }

void BackgroundWork::run(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    ++state_->pending;
  }
  worker().post([state = state_, task = std::move(task)]() mutable {
    try {
      task();
    } catch (...) {
      // Each task reports its own failures.
    }
    // Whatever the task held (its owner, perhaps the last reference) is released before
    // the count drops, so an owner's destructor never waits for the task running it.
    task = nullptr;
    std::lock_guard<std::mutex> lock(state->mutex);
    if (--state->pending == 0) state->idle.notify_all();
  });
}

void BackgroundWork::wait_idle(std::chrono::milliseconds limit) {
  if (std::this_thread::get_id() == worker().id()) return;
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->idle.wait_for(lock, limit, [&] { return state_->pending == 0; });
}

}  // namespace cuttle::detail::local
