// JobService's life: opening the store and the configured schedulers, starting the
// threads (apply, submit workers, poll, retention) after recovery, and stopping them.
// The other concerns live beside it in job_service_*.cc (see docs/architecture.md).
#include "bindings/rest/job_service.h"

#include "cuttle/error.h"
#include "cuttle/registry.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;

namespace {

// Adaptors that keep sandboxes get the service's sandbox root unless the scheduler's own
// properties name one.
SchedulerOptions with_sandbox_root(const SchedulerConfig& sc, const std::string& sandbox_root) {
  SchedulerOptions options = sc.options;
  if (sandbox_root.empty()) return options;
  const Location location = Location::parse(sc.location);
  const auto& descriptor = Registry::global().for_scheme(location.full_scheme());
  for (const auto& property : descriptor.properties) {
    if (property.name == "sandbox.root" && !options.properties.count(property.name)) {
      options.properties[property.name] = sandbox_root + "/" + sc.name;
    }
  }
  return options;
}

}  // namespace

JobService::JobService(Config config, SchedulerDecorator decorate) : config_(std::move(config)) {
  validate(config_);
  // Resolved once, not per request: the roots were half or more of the path walks (each
  // a readlink per component) that a POST /job cost.
  config_.resolved_job_roots = resolved_roots(config_.job_roots);
  store_ = open_job_store(config_.store);
  open_schedulers(decorate);
}

JobService::~JobService() {
  stop();
  // Their completions use this object: the store answers every one of them.
  std::unique_lock lock(queue_mutex_);
  inserts_done_.wait(lock, [&] { return inserts_in_flight_ == 0; });
}

void JobService::open_schedulers(const SchedulerDecorator& decorate) {
  register_builtin_adaptors();
  for (const auto& sc : config_.schedulers) {
    std::shared_ptr<Scheduler> opened;
    const SchedulerOptions options = with_sandbox_root(sc, config_.sandbox_root);
    if (auto root = options.properties.find("sandbox.root"); root != options.properties.end()) {
      sandbox_roots_[sc.name] = root->second;
    }
    try {
      opened = open_scheduler(sc.location, options);
    } catch (const Error& e) {
      throw InvalidArgument("scheduler '" + sc.name + "' (" + sc.location + "): " + e.what());
    }
    schedulers_[sc.name] = decorate ? decorate(sc.name, std::move(opened)) : std::move(opened);
  }
}

std::shared_ptr<Scheduler> JobService::scheduler(const std::string& name) const {
  auto it = schedulers_.find(name);
  return it == schedulers_.end() ? nullptr : it->second;
}

void JobService::start() {
  for (const auto& [name, sched] : schedulers_) {
    const std::string scheduler_name = name;
    subscriptions_.push_back(sched->subscribe(
        [this, scheduler_name](const JobStatus& status) { observe(scheduler_name, status); }));
  }
  outbox_ = std::make_unique<CallbackOutbox>(config_, *store_, metrics_);
  store_->set_late_callback_sink([this](OutboxRow row) { outbox_->enqueue(std::move(row)); });
  start_lease();
  // Undelivered callbacks first: they are older than anything recovery records, and
  // loading them after recovery would queue its new entries twice.
  for (const auto& row : store_->pending_callbacks(config_.instance)) outbox_->enqueue(row);
  threads_.emplace_back([this] { apply_loop(); });
  recover();
  for (std::size_t i = 0; i < config_.submit_workers; ++i) {
    threads_.emplace_back([this] { submit_loop(); });
  }
  threads_.emplace_back([this] { poll_loop(); });
  threads_.emplace_back([this] { retention_loop(); });
  log(LogLevel::kInfo, "rest", "job service started",
      {{"instance", config_.instance}, {"jobs", std::to_string(cache_.size())}});
}

void JobService::stop() {
  if (stopping_.exchange(true)) return;
  if (lease_) lease_->stop();
  { std::lock_guard lock(queue_mutex_); }
  queue_wake_.notify_all();
  observe_wake_.notify_all();
  { std::lock_guard lock(stop_mutex_); }
  stop_wake_.notify_all();
  { std::lock_guard lock(change_mutex_); }
  change_wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  subscriptions_.clear();
  if (outbox_) outbox_->stop();
}

}  // namespace cuttle::rest
