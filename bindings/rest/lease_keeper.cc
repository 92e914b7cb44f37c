#include "bindings/rest/lease_keeper.h"

#include "bindings/rest/store_errors.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;

LeaseKeeper::LeaseKeeper(JobStore& store, std::string instance, LeaseConfig config,
                         std::vector<std::string> shared_schedulers,
                         std::function<void(const std::vector<std::string>&)> on_adopted)
    : store_(store),
      instance_(std::move(instance)),
      config_(config),
      shared_(std::move(shared_schedulers)),
      on_adopted_(std::move(on_adopted)) {}

LeaseKeeper::~LeaseKeeper() { stop(); }

void LeaseKeeper::start() {
  const LeaseGrant grant = store_.acquire_lease(instance_, 0, config_.ttl);
  token_ = grant.token;
  log(LogLevel::kInfo, "rest.lease", "lease taken",
      {{"instance", instance_}, {"token", std::to_string(grant.token)}});
  renewer_ = std::thread([this] { every(config_.ttl / 3, &LeaseKeeper::renew); });
  adopter_ = std::thread([this] { every(config_.check_interval, &LeaseKeeper::adopt); });
}

void LeaseKeeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (adopter_.joinable()) adopter_.join();
}

void LeaseKeeper::every(std::chrono::milliseconds period, void (LeaseKeeper::*step)()) {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period, [&] { return stopping_; })) {
    lock.unlock();
    try {
      (this->*step)();
    } catch (const StoreUnavailable& e) {
      // The lease may lapse meanwhile; the next renewal finds out and says so.
      log(LogLevel::kWarn, "rest.lease", "cannot reach the store", {{"error", e.what()}});
    } catch (const std::exception& e) {
      log(LogLevel::kError, "rest.lease", "lease step failed", {{"error", e.what()}});
    }
    lock.lock();
  }
}

void LeaseKeeper::renew() {
  const std::int64_t old = token_;
  const LeaseGrant grant = store_.acquire_lease(instance_, old, config_.ttl);
  token_ = grant.token;
  if (!grant.renewed) {
    // Paused, partitioned or cut off from the store for longer than the lease: jobs
    // another instance adopted meanwhile are fenced off; the rest stay ours.
    log(LogLevel::kWarn, "rest.lease",
        "lease had expired; took a new one (fenced: jobs adopted meanwhile belong to their "
        "new owner)",
        {{"instance", instance_},
         {"old_token", std::to_string(old)},
         {"token", std::to_string(grant.token)}});
  }
}

void LeaseKeeper::adopt() {
  const auto ids = store_.adopt_expired(instance_, shared_);
  if (ids.empty()) return;
  log(LogLevel::kInfo, "rest.lease", "adopted jobs of instances whose lease expired",
      {{"count", std::to_string(ids.size())}});
  on_adopted_(ids);
}

}  // namespace cuttle::rest
