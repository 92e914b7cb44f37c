// JobService's part in leases and takeover (see lease_keeper.h): taking the lease at
// start, adopting a dead instance's jobs, letting go of jobs fenced off, and showing
// jobs whose owner is down as such.
#include <set>

#include "bindings/rest/job_service.h"
#include "bindings/rest/status_document.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;

void JobService::start_lease() {
  std::vector<std::string> shared;
  for (const auto& sc : config_.schedulers) {
    if (sc.is_shared()) shared.push_back(sc.name);
  }
  lease_ =
      std::make_unique<LeaseKeeper>(*store_, config_.instance, config_.lease, shared,
                                    [this](const std::vector<std::string>& ids) { adopt(ids); });
  lease_->start();
}

void JobService::adopt(const std::vector<std::string>& ids) {
  std::vector<JobRow> rows;
  for (const auto& id : ids) {
    if (auto row = store_->get_job(id)) rows.push_back(std::move(*row));
  }
  metrics_.jobs_adopted += rows.size();
  attach(rows);
  // Their undelivered callbacks are ours to send now, in order.
  const std::set<std::string> adopted(ids.begin(), ids.end());
  for (auto& row : store_->pending_callbacks(config_.instance)) {
    if (adopted.count(row.job_id)) outbox_->enqueue(std::move(row));
  }
}

void JobService::forget_fenced(const std::string& id, const std::exception& why) {
  ++metrics_.writes_fenced;
  log(LogLevel::kWarn, "rest.lease",
      "fenced: another instance adopted this job while our lease had lapsed; not acting on it",
      {{"job", id}, {"error", why.what()}});
  std::unique_lock lock(cache_mutex_);
  auto it = cache_.find(id);
  if (it == cache_.end()) return;
  by_backend_.erase({it->second->scheduler_name, it->second->backend_id});
  cache_.erase(it);
}

std::string JobService::with_owner_state(const JobRow& row) {
  if (row.final || row.owner == config_.instance) return row.status;
  std::optional<InstanceLease> owner;
  for (auto& lease : store_->instances()) {
    if (lease.instance == row.owner) owner = std::move(lease);
  }
  if (!owner || !owner->expired) return row.status;
  json status = json::parse(row.status, nullptr, false);
  if (!status.is_object()) return row.status;
  json& info = status["schedulerSpecficInformation"];
  if (!info.is_object()) info = json::object();
  info["owner"] = row.owner;
  info["owner_down_since"] = format_time(from_millis(owner->expires_ms));
  info["owner_state"] = "down; the job's scheduler is not shared, so no other instance watches it";
  return status.dump(-1, ' ', false, json::error_handler_t::replace);
}

void JobService::add_lease_health(json& out) {
  out["lease"] = {{"token", lease_ ? lease_->token() : 0},
                  {"ttl_ms", config_.lease.ttl.count()},
                  {"adopted_jobs", metrics_.jobs_adopted.load()}};
  try {
    json peers = json::array();
    for (const auto& lease : store_->instances()) {
      peers.push_back({{"instance", lease.instance},
                       {"up", !lease.expired},
                       {"lease_expires", format_time(from_millis(lease.expires_ms))},
                       {"started", format_time(from_millis(lease.started_ms))}});
    }
    out["instances"] = peers;
  } catch (const std::exception&) {
    // The store's own state is reported under "store"; peers are unknown meanwhile.
  }
}

}  // namespace cuttle::rest
