// Re-attaching after a restart or a takeover: unfinished jobs this instance owns are
// cached and tracked again; a job whose submit answer was lost is found by name or
// submitted again.
#include "bindings/rest/job_service.h"

#include "bindings/rest/job_service_helpers.h"
#include "bindings/rest/status_document.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;
using service_detail::error_status;

void JobService::recover() { attach(store_->active_jobs(config_.instance)); }

// Caches and tracks unfinished jobs this instance owns (its own after a restart, or
// adopted); a job whose submit answer was lost is found by name or submitted again.
void JobService::attach(const std::vector<JobRow>& rows) {
  LostSubmits lost;
  for (const auto& row : rows) {
    auto entry = std::make_shared<Entry>();
    entry->id = row.id;
    entry->scheduler_name = row.scheduler;
    entry->backend_id = row.backend_id;
    entry->created_ms = row.created_ms;
    try {
      json internal = json::parse(row.request);
      entry->request = request_from_json(internal);
      strip_internal(internal);
      entry->echo = internal;
      entry->status_json = row.status;
      if (auto state = parse_job_state(row.state)) entry->status.state = *state;
      json status = json::parse(row.status);
      if (status.contains("exitCode") && status["exitCode"].is_number_integer()) {
        entry->status.exit_code = status["exitCode"].get<int>();
      }
      // A cancel asked for before the restart: the job still reads CANCELING until it ends
      // (and one submitted again after a lost answer is cancelled once submitted).
      const json info = status.value("schedulerSpecficInformation", json::object());
      if (info.is_object() && info.contains(kCancelRequestedKey)) {
        entry->cancel_requested = true;
        entry->status.scheduler_info[kCancelRequestedKey] = "true";
      }
    } catch (const std::exception& e) {
      log(LogLevel::kError, "rest", "stored job unreadable",
          {{"job", row.id}, {"error", e.what()}});
      continue;
    }
    entry->document = render(entry->echo, entry->status_json);
    {
      std::unique_lock lock(cache_mutex_);
      cache_[entry->id] = entry;
      if (!entry->backend_id.empty())
        by_backend_[{entry->scheduler_name, entry->backend_id}] = entry->id;
    }
    auto sched = scheduler(entry->scheduler_name);
    if (!sched) {
      apply(entry->id,
            error_status("scheduler '" + entry->scheduler_name + "' is no longer configured"));
      continue;
    }
    ++metrics_.jobs_recovered;
    if (entry->backend_id.empty()) {
      settle_lost_submit(*entry, *sched, lost);
    } else {
      track_again(*entry, *sched);
    }
  }
  queue_lost_submits(lost);
  if (!rows.empty()) {
    log(LogLevel::kInfo, "rest", "re-attached to unfinished jobs",
        {{"count", std::to_string(rows.size())},
         {"resubmitted", std::to_string(lost.to_submit.size())},
         {"unanswered", std::to_string(lost.unfound.size())}});
  }
  poll_once();
}

void JobService::track_again(const Entry& entry, Scheduler& sched) {
  try {
    sched.track(entry.backend_id);
  } catch (const NoSuchJob&) {
    apply(entry.id, error_status("job lost: the scheduler no longer knows it after a restart"));
  } catch (const Error& e) {
    log(LogLevel::kWarn, "rest", "re-attach failed; will poll",
        {{"job", entry.id}, {"error", e.what()}});
  }
}

JobService::Search JobService::find_lost_submit(Entry& entry, Scheduler& sched) {
  // The intent was stored but the submit's answer was lost: the backend job, if it
  // exists, carries our id as its name.
  std::vector<std::string> found;
  try {
    found = sched.find_by_name(entry.id);
  } catch (const Unsupported&) {
    // An adaptor that cannot search (none built in): its job may run twice, as logged.
    log(LogLevel::kWarn, "rest", "scheduler cannot find jobs by name; submitting again",
        {{"job", entry.id}});
    return Search::kAbsent;
  } catch (const Error& e) {
    log(LogLevel::kWarn, "rest",
        "could not search for a job whose submit answer was lost; "
        "searching again at the next poll",
        {{"job", entry.id}, {"error", e.what()}});
    return Search::kUnanswered;
  }
  if (found.empty()) return Search::kAbsent;
  {
    std::unique_lock lock(cache_mutex_);
    entry.backend_id = found.front();
    by_backend_[{entry.scheduler_name, entry.backend_id}] = entry.id;
  }
  store_->set_backend_id(entry.id, entry.backend_id);
  return Search::kFound;
}

// Tracks what the search found, or sorts the job into `lost` for its first submit or for
// another search.
void JobService::settle_lost_submit(Entry& entry, Scheduler& sched, LostSubmits& lost) {
  switch (find_lost_submit(entry, sched)) {
    case Search::kFound:
      track_again(entry, sched);
      break;
    case Search::kAbsent:
      lost.to_submit.push_back(entry.id);
      break;
    case Search::kUnanswered:
      lost.unfound.push_back(entry.id);
      break;
  }
}

void JobService::queue_lost_submits(const LostSubmits& lost) {
  {
    std::lock_guard lock(queue_mutex_);
    submit_queue_.insert(submit_queue_.end(), lost.to_submit.begin(), lost.to_submit.end());
    unfound_.insert(unfound_.end(), lost.unfound.begin(), lost.unfound.end());
  }
  queue_wake_.notify_all();
}

// The searches attach() could not finish: again, until the scheduler answers.
void JobService::search_unfound() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(queue_mutex_);
    ids.swap(unfound_);
  }
  if (ids.empty()) return;
  LostSubmits lost;
  for (const std::string& id : ids) {
    auto entry = find(id);
    if (!entry || entry->final) continue;
    if (auto sched = scheduler(entry->scheduler_name)) settle_lost_submit(*entry, *sched, lost);
  }
  queue_lost_submits(lost);
}

}  // namespace cuttle::rest
