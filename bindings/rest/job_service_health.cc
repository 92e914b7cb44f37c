// What the service says about itself: /metrics (active jobs by state) and /health.
#include "bindings/rest/job_service.h"

#include "bindings/rest/status_document.h"
#include "cuttle/error.h"
#include "cuttle/version.h"

namespace cuttle::rest {

using nlohmann::json;

std::string JobService::metrics_text() {
  std::map<std::string, std::size_t> by_state;
  {
    std::shared_lock lock(cache_mutex_);
    for (const auto& [id, entry] : cache_) {
      if (!entry->final) ++by_state[reference_state(entry->status)];  // active jobs only
    }
  }
  return metrics_.render(by_state);
}

json JobService::health() {
  const StoreHealth store = store_->health();
  json out = {
      {"status", store.up ? "ok" : "store unavailable"},
      {"instance", config_.instance},
      {"version", kVersion},
      {"store",
       {{"kind", config_.store.kind}, {"up", store.up}, {"held_changes", store.held_changes}}}};
  if (!store.up) out["store"]["error"] = store.error;
  std::size_t active = 0;
  {
    std::shared_lock lock(cache_mutex_);
    for (const auto& [id, entry] : cache_) active += entry->final ? 0 : 1;
  }
  out["active_jobs"] = active;
  out["callbacks_pending"] = metrics_.callbacks_pending.load();
  add_lease_health(out);
  json schedulers = json::object();
  for (const auto& [name, sched] : schedulers_) schedulers[name] = sched->location().to_string();
  out["schedulers"] = schedulers;
  return out;
}

}  // namespace cuttle::rest
