// The process's side thread (side_thread.h): started on first use, as an exit-aware thread
// (exit_joins.h) so that it is stopped and waited for before the process tears down.
#include "internal/side_thread.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "internal/exit_joins.h"

namespace cuttle::detail {
namespace {

struct SideThread {
  std::mutex mutex;
  std::condition_variable wake;      // work was handed over, or stop
  std::condition_variable finished;  // the handed work returned
  // Guarded by mutex:
  const std::function<void()>* work = nullptr;
  std::exception_ptr error;
  bool busy = false;  // a caller's work is handed over and not yet collected
  bool done = false;
  bool stopping = false;
  std::thread::id id;
  // Written once, under the mutex, before any caller hands work over; atomic so that a
  // forked child can tell it has no side thread without taking a mutex that the parent's
  // side thread may have held at the fork.
  std::atomic<bool> started{false};
  std::atomic<pid_t> owner{0};
  std::once_flag start_once;

  void loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return work != nullptr || stopping; });
      if (work == nullptr) return;  // stopping, and nothing left handed over
      const std::function<void()>* current = work;
      work = nullptr;
      lock.unlock();
      std::exception_ptr thrown;
      try {
        (*current)();
      } catch (...) {
        thrown = std::current_exception();
      }
      lock.lock();
      error = thrown;
      done = true;
      finished.notify_all();
    }
  }

  // Called once, without the mutex: the exit registry's lock is taken inside, and an
  // exiting thread holding that lock takes this mutex to stop the thread.
  void start() {
    try {
      std::thread thread = start_exit_aware_thread([this] { loop(); },
                                                   [this] {
                                                     std::lock_guard lock(mutex);
                                                     stopping = true;
                                                     wake.notify_all();
                                                   });
      std::lock_guard lock(mutex);
      id = thread.get_id();
      owner = ::getpid();
      started = true;   // last: a caller that sees it sees the rest
      thread.detach();  // the exit registry waits for its end
    } catch (const std::system_error&) {
      // No thread to be had: the callers do their work themselves.
    }
  }
};

// Leaked on purpose: the thread may still be stopping while static destructors run.
SideThread& side() {
  static SideThread* instance = new SideThread;
  return *instance;
}

}  // namespace

void run_beside(const std::function<void()>& work) {
  SideThread& s = side();
  if (s.started && s.owner != ::getpid()) {
    work();  // a fork: the side thread is the parent's
    return;
  }
  std::call_once(s.start_once, [&] { s.start(); });
  std::unique_lock lock(s.mutex);
  if (!s.started || s.busy || s.stopping || std::this_thread::get_id() == s.id) {
    lock.unlock();
    work();
    return;
  }
  s.busy = true;
  s.done = false;
  s.work = &work;
  s.wake.notify_one();
  s.finished.wait(lock, [&] { return s.done; });
  std::exception_ptr error = s.error;
  s.error = nullptr;
  s.busy = false;
  lock.unlock();
  if (error) std::rethrow_exception(error);
}

}  // namespace cuttle::detail
