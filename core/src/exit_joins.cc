// The registry of exit-aware and handed-over threads (see exit_joins.h). A thread_local
// marker, destroyed after the thread's function has returned, records that the thread
// ended, so the exit-time wait can be bounded; join() then waits for its last steps.
#include "internal/exit_joins.h"

#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <list>
#include <memory>
#include <mutex>
#include <optional>

#include "internal/log.h"

namespace cuttle::detail {
namespace {

struct Entry {
  Entry() = default;
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;
  // Only an entry the exit's sweep already let go of is released with its thread unjoined:
  // one handed over while the sweep ran (run_in_background stores the thread after the
  // sweep cleared the list), released by its own thread as it ends or by the hand-over.
  // The process is exiting and was told not to wait for it: let it go, as the sweep does.
  // (A joinable std::thread destroyed is std::terminate: "terminate called without an
  // active exception" at exit, found by CI.)
  ~Entry() {
    if (handed && handed->joinable()) handed->detach();
  }

  std::function<void()> request_stop;  // empty for a thread only handed over
  std::optional<std::thread> handed;   // set by join_at_exit and run_in_background
  std::thread::id id;
  bool ended = false;              // guarded by Registry::mutex
  bool awaiting_handover = false;  // run_in_background has not stored the thread yet
};

struct Registry {
  std::mutex mutex;
  std::condition_variable ended;
  std::list<std::shared_ptr<Entry>> entries;
  bool exiting = false;
  pid_t owner = ::getpid();  // a forked child has none of these threads
};

// Leaked on purpose: it must outlive every static destructor that might hand a thread over.
Registry& registry() {
  static Registry* instance = [] {
    auto* created = new Registry;
    std::atexit([] { stop_exit_aware_threads(std::chrono::seconds(10)); });
    return created;
  }();
  return *instance;
}

// Destroyed as its thread ends.
struct EndMarker {
  std::shared_ptr<Entry> entry;
  ~EndMarker() {
    if (!entry) return;
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    entry->ended = true;
    r.ended.notify_all();
  }
};

thread_local EndMarker t_end_marker;

// REQUIRES: r.mutex held. Moves out the entries whose thread ended (their handed-over
// threads are joined by the caller, outside the lock).
std::list<std::shared_ptr<Entry>> take_ended(Registry& r) {
  std::list<std::shared_ptr<Entry>> ended;
  for (auto it = r.entries.begin(); it != r.entries.end();) {
    auto next = std::next(it);
    if ((*it)->ended && !(*it)->awaiting_handover) ended.splice(ended.end(), r.entries, it);
    it = next;
  }
  return ended;
}

void join_all(std::list<std::shared_ptr<Entry>>& ended) {
  for (auto& e : ended) {
    if (e->handed && e->handed->joinable()) e->handed->join();  // ended: returns at once
  }
}

// REQUIRES: r.mutex held; called on the thread `entry` describes.
void mark_current_thread(const std::shared_ptr<Entry>& entry) {
  entry->id = std::this_thread::get_id();
  t_end_marker.entry = entry;
}

// Registers `entry` (before its thread starts, so that exit waits for it) and starts
// `body` on a thread that marks itself first.
std::thread start_registered(Registry& r, const std::shared_ptr<Entry>& entry,
                             std::function<void()> body) {
  std::list<std::shared_ptr<Entry>> ended;
  {
    std::lock_guard lock(r.mutex);
    ended = take_ended(r);  // a long-running process starts many: forget the finished ones
    r.entries.push_back(entry);
  }
  join_all(ended);
  return std::thread([&r, entry, body = std::move(body)] {
    {
      std::lock_guard lock(r.mutex);
      mark_current_thread(entry);
      // Started while the process is already exiting: stop at once.
      if (r.exiting && entry->request_stop) entry->request_stop();
    }
    body();
  });
}

}  // namespace

std::thread start_exit_aware_thread(std::function<void()> body,
                                    std::function<void()> request_stop) {
  auto entry = std::make_shared<Entry>();
  entry->request_stop = std::move(request_stop);
  return start_registered(registry(), entry, std::move(body));
}

void run_in_background(std::function<void()> work) {
  Registry& r = registry();
  auto entry = std::make_shared<Entry>();
  entry->awaiting_handover = true;  // keeps the entry listed until the thread is stored
  std::thread thread = start_registered(r, entry, std::move(work));
  std::lock_guard lock(r.mutex);
  entry->handed = std::move(thread);
  entry->awaiting_handover = false;
}

void join_at_exit(std::thread thread) {
  Registry& r = registry();
  std::list<std::shared_ptr<Entry>> ended;
  {
    std::lock_guard lock(r.mutex);
    ended = take_ended(r);
    std::shared_ptr<Entry> entry = t_end_marker.entry;
    if (!entry) {
      entry = std::make_shared<Entry>();
      mark_current_thread(entry);
      r.entries.push_back(entry);
    }
    entry->handed = std::move(thread);
  }
  join_all(ended);
}

int stop_exit_aware_threads(std::chrono::milliseconds limit) {
  Registry& r = registry();
  if (::getpid() != r.owner) return 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const auto self = std::this_thread::get_id();
  std::list<std::shared_ptr<Entry>> ended;
  int stuck = 0;
  {
    std::unique_lock lock(r.mutex);
    r.exiting = true;
    for (auto& e : r.entries) {
      if (!e->ended && e->request_stop) e->request_stop();
    }
    auto running = [&] {
      int n = 0;
      for (const auto& e : r.entries) n += !e->ended && e->id != self;
      return n;
    };
    r.ended.wait_until(lock, deadline, [&] { return running() == 0; });
    stuck = running();
    ended = take_ended(r);
    // Still running (stuck, or the exiting thread itself): never hang the exit on them,
    // nor wait for them again.
    for (auto& e : r.entries) {
      if (e->handed && e->handed->joinable()) e->handed->detach();
    }
    r.entries.clear();
  }
  join_all(ended);
  if (stuck > 0) {
    log(LogLevel::kWarn, "exit", "background threads still running at exit were not joined",
        {{"count", std::to_string(stuck)}});
  }
  return stuck;
}

}  // namespace cuttle::detail
