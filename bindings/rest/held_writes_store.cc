#include "bindings/rest/held_writes_store.h"

#include <chrono>

#include "bindings/rest/store_errors.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;

namespace {
constexpr std::chrono::milliseconds kMaxRetryWait{2'000};
}

HeldWritesStore::HeldWritesStore(std::unique_ptr<JobStore> inner, std::size_t max_held)
    : inner_(std::move(inner)), max_held_(max_held) {
  writer_ = std::thread([this] { writer_loop(); });
}

HeldWritesStore::~HeldWritesStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  if (!held_.empty()) {
    // Not lost for good: the jobs are still unfinished in the store, so the next start
    // re-attaches to them and observes their state again.
    log(LogLevel::kWarn, "rest.store", "stopping with state changes not yet written",
        {{"count", std::to_string(held_.size())}});
  }
}

void HeldWritesStore::set_late_callback_sink(std::function<void(OutboxRow)> sink) {
  std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
}

void HeldWritesStore::hold(Write write) {
  if (held_.size() >= max_held_) {
    throw StoreUnavailable("and " + std::to_string(held_.size()) +
                               " state changes already wait for it (store.max_held_changes)",
                           std::chrono::seconds(1));
  }
  if (held_.empty()) {
    log(LogLevel::kWarn, "rest.store", "holding state changes until the job store is back", {});
  }
  held_.push_back(std::move(write));
  wake_.notify_all();
}

template <typename F>
bool HeldWritesStore::write_or_hold(Write write, F&& direct) {
  {
    std::lock_guard lock(mutex_);
    if (!held_.empty()) {
      hold(std::move(write));
      return false;
    }
  }
  try {
    direct();
    return true;
  } catch (const StoreUnavailable&) {
    std::lock_guard lock(mutex_);
    hold(std::move(write));
    return false;
  }
}

void HeldWritesStore::insert_job(const JobRow& job, const EventRow& first_event) {
  // Not held: a job is accepted only once it is stored, so the client gets 503 instead.
  inner_->insert_job(job, first_event);
}

void HeldWritesStore::insert_job_async(JobRow job, EventRow first_event, Inserted done) {
  inner_->insert_job_async(std::move(job), std::move(first_event), std::move(done));
}

void HeldWritesStore::set_backend_id(const std::string& id, const std::string& backend_id) {
  write_or_hold(BackendId{id, backend_id}, [&] { inner_->set_backend_id(id, backend_id); });
}

std::optional<std::int64_t> HeldWritesStore::record_change(
    const JobRow& job, const EventRow& event, const std::optional<OutboxRow>& callback) {
  std::optional<std::int64_t> result = 0;
  write_or_hold(Change{job, event, callback},
                [&] { result = inner_->record_change(job, event, callback); });
  return result;
}

void HeldWritesStore::callback_done(std::int64_t seq) {
  write_or_hold(Delivered{seq}, [&] { inner_->callback_done(seq); });
}

void HeldWritesStore::perform(const Write& write) {
  if (const auto* b = std::get_if<BackendId>(&write)) {
    inner_->set_backend_id(b->id, b->backend_id);
  } else if (const auto* d = std::get_if<Delivered>(&write)) {
    inner_->callback_done(d->seq);
  } else {
    const auto& c = std::get<Change>(write);
    const auto seq = inner_->record_change(c.job, c.event, c.callback);
    if (c.callback && seq && *seq > 0) {
      OutboxRow row = *c.callback;
      row.seq = *seq;
      std::function<void(OutboxRow)> sink;
      {
        std::lock_guard lock(mutex_);
        sink = sink_;
      }
      if (sink) sink(std::move(row));
    }
  }
}

void HeldWritesStore::writer_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !held_.empty(); });
    if (stopping_) return;
    const Write write = held_.front();
    lock.unlock();
    std::chrono::milliseconds wait{0};
    bool done = true;
    try {
      perform(write);
    } catch (const StoreUnavailable& e) {
      done = false;
      wait = std::min(e.retry_after(), kMaxRetryWait);
    } catch (const Fenced& e) {
      log(LogLevel::kWarn, "rest.store", "fenced: not writing a held change",
          {{"error", e.what()}});
    } catch (const std::exception& e) {
      // Not an outage: this write will never succeed; the ones behind it must not wait.
      log(LogLevel::kError, "rest.store", "dropping a held write the store refuses",
          {{"error", e.what()}});
    }
    lock.lock();
    if (done) {
      held_.pop_front();
      if (held_.empty()) log(LogLevel::kInfo, "rest.store", "held state changes written", {});
      continue;
    }
    wake_.wait_for(lock, wait, [&] { return stopping_; });
  }
}

std::optional<JobRow> HeldWritesStore::get_job(const std::string& id) {
  return inner_->get_job(id);
}

std::vector<JobRow> HeldWritesStore::active_jobs(const std::string& owner) {
  return inner_->active_jobs(owner);
}

std::vector<JobRow> HeldWritesStore::list_jobs(const JobListFilter& filter, std::int64_t after_seq,
                                               std::size_t limit) {
  return inner_->list_jobs(filter, after_seq, limit);
}

std::vector<EventRow> HeldWritesStore::events(const std::string& id, std::int64_t after_seq) {
  return inner_->events(id, after_seq);
}

std::vector<OutboxRow> HeldWritesStore::pending_callbacks(const std::string& owner) {
  return inner_->pending_callbacks(owner);
}

std::vector<JobRow> HeldWritesStore::purge_finished(std::int64_t before_ms) {
  return inner_->purge_finished(before_ms);
}

LeaseGrant HeldWritesStore::acquire_lease(const std::string& instance, std::int64_t token,
                                          std::chrono::milliseconds ttl) {
  return inner_->acquire_lease(instance, token, ttl);
}

std::vector<std::string> HeldWritesStore::adopt_expired(
    const std::string& instance, const std::vector<std::string>& schedulers) {
  return inner_->adopt_expired(instance, schedulers);
}

std::vector<InstanceLease> HeldWritesStore::instances() { return inner_->instances(); }

bool HeldWritesStore::may_deliver(std::int64_t seq) { return inner_->may_deliver(seq); }

StoreHealth HeldWritesStore::health() {
  StoreHealth health = inner_->health();
  std::lock_guard lock(mutex_);
  health.held_changes = held_.size();
  return health;
}

}  // namespace cuttle::rest
