// The shared event loop: one io_context run by one thread. It is deliberately never
// destroyed: objects with static storage (a global Tracker, a cached scheduler) may
// still cancel timers during static destruction, after an exit handler has stopped the
// thread, and must find a live (if stopped) io_context rather than freed memory.
#include "internal/event_loop.h"

#include <boost/asio/executor_work_guard.hpp>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include <unistd.h>

#include "internal/log.h"

namespace cuttle::detail {
namespace {

// How long exit waits for a handler that is still running before leaving it behind.
constexpr auto kExitJoinLimit = std::chrono::seconds(2);

}  // namespace

struct EventLoop::Impl {
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  std::optional<WorkGuard> work;
  std::thread thread;
  std::thread::id thread_id;
  std::mutex mutex;
  std::condition_variable finished_cv;
  bool finished = false;
  bool stopped = false;
  pid_t owner = ::getpid();  // a forked child has the object but not the thread
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {
  impl_->work.emplace(context_.get_executor());
  impl_->thread = std::thread([this] {
    for (;;) {
      try {
        context_.run();
        break;
      } catch (const std::exception& e) {
        // One failing handler must not take the loop (and every timer on it) down.
        log(LogLevel::kError, "event_loop", "handler threw", {{"error", e.what()}});
      } catch (...) {
        log(LogLevel::kError, "event_loop", "handler threw a non-standard exception");
      }
    }
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->finished = true;
    impl_->finished_cv.notify_all();
  });
  impl_->thread_id = impl_->thread.get_id();
}

EventLoop::~EventLoop() { shutdown(); }

void EventLoop::shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  if (::getpid() != impl_->owner) {
    return;  // in a forked child the loop thread does not exist: nothing to stop or wait for
  }
  impl_->work.reset();
  context_.stop();
  if (on_loop_thread()) {
    impl_->thread.detach();  // exit() called from a handler: joining would wait for ourselves
    return;
  }
  std::unique_lock<std::mutex> lock(impl_->mutex);
  bool done = impl_->finished_cv.wait_for(lock, kExitJoinLimit, [&] { return impl_->finished; });
  lock.unlock();
  if (done) {
    impl_->thread.join();
  } else {
    impl_->thread.detach();  // a handler is stuck; never hang the process at exit
  }
}

bool EventLoop::on_loop_thread() const { return std::this_thread::get_id() == impl_->thread_id; }

EventLoop& EventLoop::shared() {
  static EventLoop* loop = [] {
    auto* created = new EventLoop();
    std::atexit([] { shared().shutdown(); });
    return created;
  }();
  return *loop;
}

}  // namespace cuttle::detail
