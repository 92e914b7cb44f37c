// State changes: the schedulers' reports are queued (observe) and applied in order on
// one thread; each change is one journal transaction, plus one outbox entry when the
// job has a callback URL, and then the cached document.
#include "bindings/rest/job_service.h"

#include "bindings/rest/job_service_helpers.h"
#include "bindings/rest/status_document.h"
#include "bindings/rest/store_errors.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;
using service_detail::dump;
using service_detail::now_ms;

void JobService::observe(const std::string& scheduler_name, const JobStatus& status) {
  {
    std::lock_guard lock(queue_mutex_);
    observations_.push_back({scheduler_name, status});
  }
  observe_wake_.notify_one();
}

void JobService::apply_loop() {
  while (true) {
    std::deque<Observation> batch;
    {
      std::unique_lock lock(queue_mutex_);
      observe_wake_.wait(lock, [&] { return stopping_ || !observations_.empty(); });
      if (stopping_) return;
      batch.swap(observations_);
    }
    for (auto& o : batch) {
      std::string id;
      {
        std::unique_lock lock(cache_mutex_);
        auto it = by_backend_.find({o.scheduler, o.status.id});
        if (it == by_backend_.end()) {
          // Seen before submit() returned its id: kept for submit_one to apply. With no
          // submit in flight it is a late word on a job that already left memory.
          if (submits_in_flight_ > 0) early_[{o.scheduler, o.status.id}] = o.status;
          continue;
        }
        id = it->second;
      }
      try {
        apply(id, o.status);
      } catch (const std::exception& e) {
        log(LogLevel::kError, "rest", "cannot record state change",
            {{"job", id}, {"error", e.what()}});
      }
    }
  }
}

void JobService::apply(const std::string& id, JobStatus status) {
  std::lock_guard apply_lock(apply_mutex_);
  auto entry = find(id);
  if (!entry) return;
  std::string backend_id;
  std::string scheduler_name;
  json echo;
  std::string callback_url;
  {
    std::shared_lock lock(cache_mutex_);
    if (entry->final) return;
    const JobStatus& old = entry->status;
    if (entry->cancel_requested && !cuttle::is_final(status.state)) {
      status.scheduler_info[kCancelRequestedKey] = "true";
    }
    // A moved deadline (extend) is a change too: cuttle.deadline must be current; so is a
    // cancel asked for (the status now says so).
    const bool same = old.state == status.state && old.attempt == status.attempt &&
                      old.exit_code == status.exit_code && old.deadline == status.deadline &&
                      old.scheduler_info.contains(kCancelRequestedKey) ==
                          status.scheduler_info.contains(kCancelRequestedKey);
    if (same) return;
    if (status.attempt == old.attempt && !is_valid_transition(old.state, status.state)) return;
    backend_id = entry->backend_id;
    scheduler_name = entry->scheduler_name;
    echo = entry->echo;
    callback_url = entry->request.status_callback_url;
  }
  const bool final = cuttle::is_final(status.state);
  const std::int64_t now = now_ms();
  const std::string status_json = dump(status_to_json(status, scheduler_name, backend_id));
  const std::string document = render(echo, status_json);

  JobRow row;
  row.id = id;
  row.backend_id = backend_id;
  row.state = std::string(to_string(status.state));
  row.final = final;
  row.status = status_json;
  row.updated_ms = now;
  std::optional<OutboxRow> callback;
  if (!callback_url.empty()) callback = OutboxRow{0, id, callback_url, document, final, now};
  std::optional<std::int64_t> recorded;
  try {
    recorded = store_->record_change(row, {0, id, now, row.state, status_json}, callback);
  } catch (const Fenced& e) {
    forget_fenced(id, e);
    return;
  }
  {
    std::unique_lock lock(cache_mutex_);
    entry->status = status;
    entry->status_json = status_json;
    entry->document = document;
    entry->final = final || !recorded;
    entry->missing.found();
    // A finished job leaves memory at the next poll once nothing is held for the
    // database (forget_finished): the store is the source of truth, but during an outage
    // only memory knows the final state, and it must not be served as running.
  }
  if (!recorded) return;
  ++metrics_.state_changes;
  if (callback && *recorded > 0) {  // 0: held for the database; queued once written
    callback->seq = *recorded;
    outbox_->enqueue(std::move(*callback));
  }
  {
    std::lock_guard lock(change_mutex_);
    ++change_count_;
  }
  change_wake_.notify_all();
}

}  // namespace cuttle::rest
