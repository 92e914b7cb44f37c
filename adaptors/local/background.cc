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
    std::thread([this] { loop(); }).detach();
  }

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

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
};

}  // namespace

void run_in_background(std::function<void()> task) {
  // Never destroyed: the detached thread may still wait on it while the process exits.
  static Worker* worker = new Worker;
  worker->post(std::move(task));
}

}  // namespace cuttle::detail::local
