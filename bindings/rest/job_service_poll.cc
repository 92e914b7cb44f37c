// The safety-net poll under the pushed state changes, and what it does first: finished
// jobs leave memory (the service's and their scheduler's) once their final state is
// durable.
#include "bindings/rest/job_service.h"

#include <algorithm>

#include "bindings/rest/job_service_helpers.h"
#include "cuttle/error.h"
#include "internal/log.h"
#include "internal/lost_rule.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;
using service_detail::error_status;

void JobService::poll_loop() {
  while (true) {
    {
      std::unique_lock lock(stop_mutex_);
      stop_wake_.wait_for(lock, config_.poll_interval, [&] { return stopping_.load(); });
      if (stopping_) return;
    }
    try {
      poll_once();
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, "rest", "poll failed", {{"error", e.what()}});
    }
  }
}

// A safety net under the pushed changes: asks each scheduler, in one call per batch, for
// every job this instance still considers active.
void JobService::poll_once() {
  // Memory holds only active work however long the service runs.
  forget_finished();
  search_unfound();
  std::map<std::string, std::vector<std::string>> active;  // scheduler -> backend ids
  {
    std::shared_lock lock(cache_mutex_);
    for (const auto& [id, entry] : cache_) {
      if (!entry->final && !entry->backend_id.empty()) {
        active[entry->scheduler_name].push_back(entry->backend_id);
      }
    }
  }
  for (auto& [name, ids] : active) {
    auto sched = scheduler(name);
    if (!sched) continue;
    for (std::size_t begin = 0; begin < ids.size(); begin += 500) {
      std::vector<std::string> chunk(
          ids.begin() + static_cast<std::ptrdiff_t>(begin),
          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), begin + 500)));
      std::vector<JobStatus> statuses;
      try {
        statuses = sched->statuses(chunk);
      } catch (const NoSuchJob&) {
        for (const auto& backend_id : chunk) {
          try {
            statuses.push_back(sched->status(backend_id));
          } catch (const NoSuchJob&) {
            std::string id;
            bool lost = false;
            {
              std::unique_lock lock(cache_mutex_);
              auto it = by_backend_.find({name, backend_id});
              if (it == by_backend_.end()) continue;
              id = it->second;
              auto entry = cache_.find(id);
              // The one lost rule (core's lost.grace default), as every adaptor applies it.
              const TimePoint now = Clock::now();
              if (entry != cache_.end()) {
                lost = detail::LostRule().lost(entry->second->missing.missing(now), now);
              }
            }
            if (lost) apply(id, error_status("job lost: the scheduler no longer knows it"));
          } catch (const Error& e) {
            log(LogLevel::kWarn, "rest", "status failed",
                {{"job", backend_id}, {"error", e.what()}});
          }
        }
      } catch (const Error& e) {
        log(LogLevel::kWarn, "rest", "status poll failed",
            {{"scheduler", name}, {"error", e.what()}});
        continue;
      }
      for (const auto& s : statuses) observe(name, s);
    }
  }
}

void JobService::forget_finished() {
  if (store_->health().held_changes > 0) return;
  std::unique_lock lock(cache_mutex_);
  std::vector<std::shared_ptr<Entry>> finished;
  for (const auto& [id, entry] : cache_) {
    if (entry->final) finished.push_back(entry);
  }
  // Not into the cache of final documents: an entry may be final only because the store
  // refused its change (another instance recorded the end, or retention removed the row),
  // and then its document is not what the store holds. The first read fills the cache.
  for (const auto& entry : finished) forget_locked(*entry);
  lock.unlock();
  // The schedulers drop them too; a later query is answered from the store.
  for (const auto& entry : finished) {
    if (entry->backend_id.empty()) continue;
    if (auto sched = scheduler(entry->scheduler_name)) sched->forget(entry->backend_id);
  }
}

void JobService::forget_locked(const Entry& entry) {
  if (!entry.backend_id.empty()) by_backend_.erase({entry.scheduler_name, entry.backend_id});
  cache_.erase(entry.id);
}

}  // namespace cuttle::rest
