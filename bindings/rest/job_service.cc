#include "bindings/rest/job_service.h"

#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <limits>

#include "bindings/rest/executable_check.h"
#include "bindings/rest/status_document.h"
#include "bindings/rest/store_errors.h"
#include "cuttle/error.h"
#include "cuttle/file_system.h"
#include "cuttle/registry.h"
#include "cuttle/version.h"
#include "internal/log.h"
#include "internal/lost_rule.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;

namespace {

std::int64_t now_ms() { return to_millis(Clock::now()); }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

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

JobStatus error_status(const std::string& message) {
  JobStatus status;
  status.state = JobState::kError;
  status.error = message;
  status.reason = message;
  status.finished = Clock::now();
  return status;
}

// The sandbox directory a stored status document names; empty when it names none.
std::string sandbox_of(const std::string& status_json) {
  const json status = json::parse(status_json, nullptr, false);
  if (!status.is_object()) return {};
  const json info = status.value("schedulerSpecficInformation", json::object());
  if (!info.is_object() || !info.contains("sandbox") || !info["sandbox"].is_string()) return {};
  return info["sandbox"].get<std::string>();
}

// How long PUT/DELETE of a running job wait for it to stop before answering.
constexpr std::chrono::milliseconds kCancelAnswerWait{5000};

}  // namespace

JobService::JobService(Config config, SchedulerDecorator decorate) : config_(std::move(config)) {
  validate(config_);
  store_ = open_job_store(config_.store);
  open_schedulers(decorate);
}

JobService::~JobService() { stop(); }

void JobService::open_schedulers(const SchedulerDecorator& decorate) {
  register_builtin_adaptors();
  for (const auto& sc : config_.schedulers) {
    std::shared_ptr<Scheduler> opened;
    try {
      opened = open_scheduler(sc.location, with_sandbox_root(sc, config_.sandbox_root));
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

// ---- recovery ---------------------------------------------------------------------------

void JobService::recover() { attach(store_->active_jobs(config_.instance)); }

// Caches and tracks unfinished jobs this instance owns (its own after a restart, or
// adopted); a job whose submit answer was lost is found by name or submitted again.
void JobService::attach(const std::vector<JobRow>& rows) {
  std::vector<std::string> to_submit;
  for (const auto& row : rows) {
    auto entry = std::make_shared<Entry>();
    entry->id = row.id;
    entry->scheduler_name = row.scheduler;
    entry->backend_id = row.backend_id;
    entry->created_ms = row.created_ms;
    try {
      json internal = json::parse(row.request);
      entry->request = request_from_json(internal);
      internal.erase("resolved_jobdir");
      entry->echo = internal;
      entry->status_json = row.status;
      if (auto state = parse_job_state(row.state)) entry->status.state = *state;
      json status = json::parse(row.status);
      if (status.contains("exitCode") && status["exitCode"].is_number_integer()) {
        entry->status.exit_code = status["exitCode"].get<int>();
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
      // The intent was stored but the submit's answer was lost: the backend job, if it
      // exists, carries our id as its name.
      std::vector<std::string> found;
      try {
        found = sched->find_by_name(entry->id);
      } catch (const Unsupported&) {
        log(LogLevel::kWarn, "rest", "scheduler cannot find jobs by name; submitting again",
            {{"job", entry->id}});
      } catch (const Error& e) {
        log(LogLevel::kWarn, "rest", "find_by_name failed; submitting again",
            {{"job", entry->id}, {"error", e.what()}});
      }
      if (found.empty()) {
        to_submit.push_back(entry->id);
        continue;
      }
      {
        std::unique_lock lock(cache_mutex_);
        entry->backend_id = found.front();
        by_backend_[{entry->scheduler_name, entry->backend_id}] = entry->id;
      }
      store_->set_backend_id(entry->id, entry->backend_id);
    }
    try {
      sched->track(entry->backend_id);
    } catch (const NoSuchJob&) {
      apply(entry->id, error_status("job lost: the scheduler no longer knows it after a restart"));
    } catch (const Error& e) {
      log(LogLevel::kWarn, "rest", "re-attach failed; will poll",
          {{"job", entry->id}, {"error", e.what()}});
    }
  }
  {
    std::lock_guard lock(queue_mutex_);
    for (auto& id : to_submit) submit_queue_.push_back(id);
  }
  queue_wake_.notify_all();
  if (!rows.empty()) {
    log(LogLevel::kInfo, "rest", "re-attached to unfinished jobs",
        {{"count", std::to_string(rows.size())},
         {"resubmitted", std::to_string(to_submit.size())}});
  }
  poll_once();
}

// ---- submit -----------------------------------------------------------------------------

std::string JobService::submit(const JobRequest& request) {
  auto entry = std::make_shared<Entry>();
  entry->id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  entry->scheduler_name = request.scheduler.empty() ? config_.default_scheduler : request.scheduler;
  if (auto sched = scheduler(entry->scheduler_name); sched && sched->capabilities().local_sandbox) {
    check_local_executable(request.executable, request.environment);
  }
  entry->request = request;
  entry->echo = request_to_json(request);
  entry->created_ms = now_ms();
  entry->status.state = JobState::kNew;
  entry->status.submitted = Clock::now();
  entry->status_json = dump(status_to_json(entry->status, entry->scheduler_name, ""));
  entry->document = render(entry->echo, entry->status_json);

  json internal = entry->echo;
  internal["resolved_jobdir"] = request.resolved_jobdir;
  JobRow row;
  row.id = entry->id;
  row.owner = config_.instance;
  row.scheduler = entry->scheduler_name;
  row.state = std::string(to_string(JobState::kNew));
  row.request = dump(internal);
  row.status = entry->status_json;
  row.callback_url = request.status_callback_url;
  row.created_ms = row.updated_ms = entry->created_ms;
  store_->insert_job(row, {0, entry->id, entry->created_ms, row.state, row.status});
  {
    std::unique_lock lock(cache_mutex_);
    cache_[entry->id] = entry;
  }
  {
    std::lock_guard lock(queue_mutex_);
    submit_queue_.push_back(entry->id);
  }
  queue_wake_.notify_one();
  ++metrics_.jobs_submitted;
  {
    std::lock_guard lock(change_mutex_);
    ++change_count_;
  }
  change_wake_.notify_all();
  return entry->id;
}

void JobService::submit_loop() {
  while (true) {
    std::string id;
    {
      std::unique_lock lock(queue_mutex_);
      queue_wake_.wait(lock, [&] { return stopping_ || !submit_queue_.empty(); });
      if (stopping_) return;
      id = submit_queue_.front();
      submit_queue_.pop_front();
    }
    try {
      submit_one(id);
    } catch (const std::exception& e) {
      log(LogLevel::kError, "rest", "submit failed unexpectedly",
          {{"job", id}, {"error", e.what()}});
    }
  }
}

void JobService::submit_one(const std::string& id) {
  auto entry = find(id);
  if (!entry) return;
  JobRequest request;
  std::string scheduler_name;
  {
    std::shared_lock lock(cache_mutex_);
    if (entry->final) return;
    request = entry->request;
    scheduler_name = entry->scheduler_name;
  }
  auto sched = scheduler(scheduler_name);
  if (!sched) {
    apply(id, error_status("no scheduler named '" + scheduler_name + "'"));
    return;
  }
  std::string backend_id;
  InFlight in_flight(*this);
  try {
    backend_id = sched->submit(to_job_description(request, id));
  } catch (const Error& e) {
    ++metrics_.submit_failures;
    log(LogLevel::kWarn, "rest", "scheduler refused job", {{"job", id}, {"error", e.what()}});
    apply(id, error_status(std::string("submit failed: ") + e.what()));
    return;
  }
  bool cancel_now = false;
  std::optional<JobStatus> early;
  {
    std::unique_lock lock(cache_mutex_);
    entry->backend_id = backend_id;
    cancel_now = entry->cancel_requested;
    if (!entry->final) by_backend_[{scheduler_name, backend_id}] = id;
    auto it = early_.find({scheduler_name, backend_id});
    if (it != early_.end()) {
      early = it->second;
      early_.erase(it);
    }
  }
  store_->set_backend_id(id, backend_id);
  if (cancel_now) {
    try {
      sched->cancel(backend_id);
    } catch (const Error& e) {
      log(LogLevel::kWarn, "rest", "cancel after submit failed",
          {{"job", id}, {"error", e.what()}});
    }
    return;
  }
  if (early) apply(id, *early);
  try {
    apply(id, sched->status(backend_id));
  } catch (const Error& e) {
    log(LogLevel::kDebug, "rest", "first status failed; the poll will retry",
        {{"job", id}, {"error", e.what()}});
  }
}

// ---- state changes ----------------------------------------------------------------------

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
    // A moved deadline (extend) is a change too: cuttle.deadline must be current.
    const bool same = old.state == status.state && old.attempt == status.attempt &&
                      old.exit_code == status.exit_code && old.deadline == status.deadline;
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

// ---- polling and retention -------------------------------------------------------------

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
void JobService::forget_finished() {
  if (store_->health().held_changes > 0) return;
  std::unique_lock lock(cache_mutex_);
  std::vector<std::shared_ptr<Entry>> finished;
  for (const auto& [id, entry] : cache_) {
    if (entry->final) finished.push_back(entry);
  }
  for (const auto& entry : finished) {
    finished_documents_.put(entry->id, entry->document);
    forget_locked(*entry);
  }
  lock.unlock();
  // The schedulers drop them too; a later query is answered from the store.
  for (const auto& entry : finished) {
    if (entry->backend_id.empty()) continue;
    if (auto sched = scheduler(entry->scheduler_name)) sched->forget(entry->backend_id);
  }
}

void JobService::poll_once() {
  // Memory holds only active work however long the service runs.
  forget_finished();
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

void JobService::retention_loop() {
  if (!config_.retain_finished) return;
  const auto period = std::clamp(*config_.retain_finished / 10, std::chrono::milliseconds(200),
                                 std::chrono::milliseconds(60'000));
  while (true) {
    {
      std::unique_lock lock(stop_mutex_);
      stop_wake_.wait_for(lock, period, [&] { return stopping_.load(); });
      if (stopping_) return;
    }
    try {
      const auto rows = store_->purge_finished(now_ms() - config_.retain_finished->count());
      {
        std::unique_lock lock(cache_mutex_);
        for (const auto& row : rows) {
          auto it = cache_.find(row.id);
          if (it == cache_.end()) continue;
          by_backend_.erase({it->second->scheduler_name, it->second->backend_id});
          cache_.erase(it);
        }
      }
      for (const auto& row : rows) finished_documents_.erase(row.id);
      for (const auto& row : rows) {
        if (!config_.retention_deletes_sandboxes || row.owner != config_.instance) continue;
        delete_sandbox(row.id, row.scheduler, sandbox_of(row.status));
      }
      if (!rows.empty()) {
        log(LogLevel::kInfo, "rest", "removed finished jobs",
            {{"count", std::to_string(rows.size())}});
      }
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, "rest", "retention failed", {{"error", e.what()}});
    }
  }
}

// ---- queries ----------------------------------------------------------------------------

std::shared_ptr<JobService::Entry> JobService::find(const std::string& id) const {
  std::shared_lock lock(cache_mutex_);
  auto it = cache_.find(id);
  return it == cache_.end() ? nullptr : it->second;
}

void JobService::forget_locked(const Entry& entry) {
  if (!entry.backend_id.empty()) by_backend_.erase({entry.scheduler_name, entry.backend_id});
  cache_.erase(entry.id);
}

JobService::InFlight::InFlight(JobService& service) : service_(service) {
  std::unique_lock lock(service_.cache_mutex_);
  ++service_.submits_in_flight_;
}

JobService::InFlight::~InFlight() {
  std::unique_lock lock(service_.cache_mutex_);
  if (--service_.submits_in_flight_ == 0) service_.early_.clear();
}

std::string JobService::render(const json& echo, const std::string& status_json) const {
  return "{\"request\":" + dump(echo) + ",\"status\":" + status_json + "}";
}

std::optional<std::string> JobService::document_from_store(const std::string& id) {
  auto row = store_->get_job(id);
  if (!row) return std::nullopt;
  json internal = json::parse(row->request, nullptr, false);
  if (internal.is_object()) internal.erase("resolved_jobdir");
  std::string document = render(internal, with_owner_state(*row));
  if (row->final) finished_documents_.put(id, document);
  return document;
}

std::optional<std::string> JobService::document_in_memory(const std::string& id) {
  {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(id);
    if (it != cache_.end()) return it->second->document;
  }
  return finished_documents_.get(id);
}

std::optional<std::string> JobService::document(const std::string& id) {
  if (auto document = document_in_memory(id)) return document;
  return document_from_store(id);
}

bool JobService::is_final(const std::string& id) {
  if (auto entry = find(id)) {
    std::shared_lock lock(cache_mutex_);
    return entry->final;
  }
  auto row = store_->get_job(id);
  return !row || row->final;
}

JobService::Page JobService::list(const std::vector<std::string>& states, std::size_t limit,
                                  const std::string& token) {
  std::int64_t after = 0;
  if (!token.empty()) {
    if (token.size() > 18 || token.find_first_not_of("0123456789") != std::string::npos) {
      throw RequestError(400, "page_token", "is not a token this service issued");
    }
    after = std::stoll(token);
  }
  // Reference words -> Cuttle's states.
  std::vector<std::string> words;
  for (const auto& s : states) {
    static const std::map<std::string, std::vector<JobState>> kMap = {
        {"INITIAL", {JobState::kNew}},
        {"PENDING", {JobState::kStagingIn, JobState::kQueued}},
        {"RUNNING", {JobState::kRunning, JobState::kStagingOut}},
        {"DONE", {JobState::kCompleted, JobState::kFailed}},
        {"KILLED", {JobState::kCancelled, JobState::kExpired}},
        {"ERROR", {JobState::kError, JobState::kFailed}}};
    auto it = kMap.find(s);
    if (it == kMap.end()) {
      throw RequestError(
          400, "state",
          "must be INITIAL, PENDING, RUNNING, DONE, KILLED or ERROR (got '" + s + "')");
    }
    for (auto state : it->second) words.emplace_back(to_string(state));
  }
  const std::size_t want = limit == 0 ? std::numeric_limits<std::int64_t>::max() : limit;
  auto rows = store_->list_jobs(words, after, limit == 0 ? 1000000000 : want + 1);
  Page page;
  for (const auto& row : rows) {
    if (page.ids.size() == want) {
      page.next_token = std::to_string(page.ids.empty() ? after : rows[page.ids.size() - 1].seq);
      break;
    }
    page.ids.push_back(row.id);
  }
  return page;
}

std::optional<std::string> JobService::cancel(const std::string& id, bool delete_output) {
  auto entry = find(id);
  if (!entry) {
    // Finished (the store holds it, memory does not) or owned by another instance.
    auto row = store_->get_job(id);
    if (!row) return std::nullopt;
    if (!row->final && !row->backend_id.empty()) {
      // Owned by another instance: cancel through our handle; its owner records it.
      if (auto sched = scheduler(row->scheduler)) sched->cancel(row->backend_id);
    }
    if (delete_output && config_.delete_sandbox_on_cancel && row->owner == config_.instance) {
      delete_sandbox(id, row->scheduler, sandbox_of(row->status));
    }
    return document_from_store(id);
  }
  std::string backend_id;
  std::string scheduler_name;
  std::string sandbox;
  bool final = false;
  {
    std::unique_lock lock(cache_mutex_);
    final = entry->final;
    backend_id = entry->backend_id;
    scheduler_name = entry->scheduler_name;
    if (!final && backend_id.empty()) entry->cancel_requested = true;
  }
  if (!final) {
    if (backend_id.empty()) {
      JobStatus cancelled;
      cancelled.state = JobState::kCancelled;
      cancelled.reason = "cancelled before it was submitted";
      cancelled.finished = Clock::now();
      apply(id, cancelled);
    } else if (auto sched = scheduler(scheduler_name)) {
      try {
        apply(id, sched->cancel(backend_id));
        // The answer carries the state after the cancel: wait (bounded) for the job to
        // stop instead of reporting the RUNNING it had when the signal left.
        apply(id, sched->wait_until_done(backend_id, kCancelAnswerWait));
      } catch (const NoSuchJob&) {
        apply(id, error_status("job lost: the scheduler no longer knows it"));
      }
    }
  }
  if (delete_output && config_.delete_sandbox_on_cancel) {
    {
      std::shared_lock lock(cache_mutex_);
      auto it = entry->status.scheduler_info.find("sandbox");
      if (it != entry->status.scheduler_info.end()) sandbox = it->second;
    }
    delete_sandbox(id, scheduler_name, sandbox);
  }
  return document(id);
}

// joblauncher deletes what a cancelled job generated in its sandbox. We remove the
// sandbox directory the adaptor reports, only where the adaptor's sandboxes live on this
// machine's file system (Capabilities::local_sandbox) and only under our sandbox root.
void JobService::delete_sandbox(const std::string& id, const std::string& scheduler_name,
                                const std::string& sandbox) {
  if (sandbox.empty() || config_.sandbox_root.empty()) return;
  const std::string root = config_.sandbox_root + "/";
  if (sandbox.rfind(root, 0) != 0 || sandbox.find("/..") != std::string::npos) return;
  auto sched = scheduler(scheduler_name);
  if (!sched || !sched->capabilities().local_sandbox) return;
  try {
    LocalFileSystem().remove_all(sandbox);
  } catch (const Error& e) {
    log(LogLevel::kWarn, "rest", "cannot delete sandbox", {{"job", id}, {"error", e.what()}});
  }
}

std::optional<std::string> JobService::extend(const std::string& id, std::chrono::seconds by) {
  auto entry = find(id);
  if (!entry) {
    auto row = store_->get_job(id);
    if (!row) return std::nullopt;
    if (row->final) throw RequestError(409, "id", "job is done");
    throw RequestError(409, "id", "job is owned by another instance");
  }
  std::string backend_id;
  std::string scheduler_name;
  {
    std::shared_lock lock(cache_mutex_);
    if (entry->final) throw RequestError(409, "id", "job is done");
    backend_id = entry->backend_id;
    scheduler_name = entry->scheduler_name;
  }
  if (backend_id.empty()) throw RequestError(409, "id", "job is not submitted yet; retry shortly");
  try {
    apply(id, scheduler(scheduler_name)->extend(backend_id, by));
  } catch (const Unsupported& e) {
    throw RequestError(409, "seconds", std::string("scheduler cannot extend: ") + e.what());
  } catch (const InvalidJobDescription& e) {
    throw RequestError(400, e.field(), e.reason());
  } catch (const InvalidArgument& e) {
    throw RequestError(400, "seconds", e.what());
  }
  return document(id);
}

std::optional<std::vector<EventRow>> JobService::events(const std::string& id,
                                                        std::int64_t after_seq) {
  if (!find(id) && !store_->get_job(id)) return std::nullopt;
  return store_->events(id, after_seq);
}

void JobService::wait_for_change(std::chrono::milliseconds timeout) {
  std::unique_lock lock(change_mutex_);
  const auto seen = change_count_;
  change_wake_.wait_for(lock, timeout, [&] { return change_count_ != seen || stopping_; });
}

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
