// Accepting a job (its intent stored before the answer) and the submit workers that
// hand it to its scheduler, with the bookkeeping for state reports that arrive before
// submit() has returned the backend id.
#include "bindings/rest/job_service.h"

#include <thread>

#include "bindings/rest/executable_check.h"
#include "bindings/rest/job_service_helpers.h"
#include "bindings/rest/status_document.h"
#include "cuttle/error.h"
#include "internal/log.h"
#include "internal/resource_support.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;
using service_detail::dump;
using service_detail::error_status;
using service_detail::now_ms;

namespace {
// Launching yields to a burst of submits (see submit_loop): a burst is kBurstDepth or
// more accepts waiting for their group commit within the last kBurstWindow; a worker
// lets it go first for at most kLaunchYield per job, looking again every kYieldPoll.
// (20 ms let each worker launch 50 jobs/s into a burst, and those launches cost it about
// a fifth of its answers: docs/performance.md, 2026-12-03.)
constexpr std::size_t kBurstDepth = 16;
constexpr std::chrono::milliseconds kBurstWindow{10};
constexpr std::chrono::milliseconds kLaunchYield{200};
constexpr std::chrono::milliseconds kYieldPoll{5};

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::string JobService::submit(const JobRequest& request) {
  Prepared prepared = prepare(request);
  store_->insert_job(prepared.row, prepared.event);
  accepted(prepared.entry);
  return prepared.entry->id;
}

void JobService::submit_async(const JobRequest& request, Submitted done) {
  Prepared prepared = prepare(request);
  {
    std::lock_guard lock(queue_mutex_);
    if (++inserts_in_flight_ >= kBurstDepth) {
      deep_accept_ns_.store(steady_ns(), std::memory_order_relaxed);
    }
  }
  store_->insert_job_async(
      std::move(prepared.row), std::move(prepared.event),
      [this, entry = std::move(prepared.entry), done = std::move(done)](std::exception_ptr error) {
        if (!error) accepted(entry);
        done(entry->id, error);
        std::lock_guard lock(queue_mutex_);
        if (--inserts_in_flight_ == 0) inserts_done_.notify_all();
      });
}

JobService::Prepared JobService::prepare(const JobRequest& request) {
  auto entry = std::make_shared<Entry>();
  entry->id = request.id.empty() ? service_detail::random_uuid() : request.id;
  entry->scheduler_name = request.scheduler.empty() ? config_.default_scheduler : request.scheduler;
  const JobDescription description = to_job_description(request, entry->id);
  if (auto sched = scheduler(entry->scheduler_name)) {
    const Capabilities capabilities = sched->capabilities();
    // (A step's executable may be written by a step before it, and modules, pre_launch or a
    // clean environment decide the PATH a launched one is found in: looked up when it runs.)
    if (capabilities.local_sandbox) {
      if (!request.description) {
        if (!request.resources.shapes_launch()) {
          check_local_executable(request.executable, request.environment);
        }
      } else if (request.description->container_image.empty() &&
                 request.description->steps.empty() && !request.description->shapes_launch()) {
        check_local_executable(request.description->executable, request.description->environment);
      }
    }
    // Refused now, as a 400 naming the field, rather than as an ERROR job later.
    if (auto refused =
            detail::unsupported_resource(description, capabilities, sched->adaptor_name())) {
      throw RequestError(400, refused->field, refused->reason);
    }
  }
  check_dependencies(description, entry->scheduler_name);
  entry->request = request;
  entry->echo = request_to_json(request);
  entry->created_ms = now_ms();
  entry->status.state = JobState::kNew;
  entry->status.submitted = Clock::now();
  entry->status_json = dump(status_to_json(entry->status, entry->scheduler_name, ""));
  entry->document = render(entry->echo, entry->status_json);

  Prepared prepared;
  JobRow& row = prepared.row;
  row.id = entry->id;
  row.owner = config_.instance;
  row.scheduler = entry->scheduler_name;
  row.state = std::string(to_string(JobState::kNew));
  row.request = dump(request_to_stored_json(request));
  row.status = entry->status_json;
  row.callback_url = request.status_callback_url;
  row.contract = request.contract;
  row.name = request.name;
  row.created_ms = row.updated_ms = entry->created_ms;
  prepared.event = {0, entry->id, entry->created_ms, row.state, row.status};
  prepared.entry = std::move(entry);
  return prepared;
}

bool JobService::accepting_in_a_burst() const {
  return steady_ns() - deep_accept_ns_.load(std::memory_order_relaxed) <
         std::chrono::nanoseconds(kBurstWindow).count();
}

void JobService::accepted(const std::shared_ptr<Entry>& entry) {
  {
    std::unique_lock lock(cache_mutex_);
    cache_[entry->id] = entry;
  }
  bool was_empty = false;
  {
    std::lock_guard lock(queue_mutex_);
    was_empty = submit_queue_.empty();
    submit_queue_.push_back(entry->id);
  }
  // Only the first job of a burst wakes a worker; a worker that takes one and leaves more
  // wakes the next (submit_loop). Every accept waking one cost a burst thousands of
  // context switches on the cores that answer it.
  if (was_empty) queue_wake_.notify_one();
  ++metrics_.jobs_submitted;
  {
    std::lock_guard lock(change_mutex_);
    ++change_count_;
  }
  change_wake_.notify_all();
}

// Dependencies name this service's jobs: each must exist and run on the same scheduler.
void JobService::check_dependencies(const JobDescription& description,
                                    const std::string& scheduler_name) {
  for (std::size_t i = 0; i < description.dependencies.size(); ++i) {
    const std::string field = "dependencies[" + std::to_string(i) + "].job_id";
    const std::optional<JobRow> row = store_->get_job(description.dependencies[i].job_id);
    if (!row) throw RequestError(400, field, "no job " + description.dependencies[i].job_id);
    if (row->scheduler != scheduler_name) {
      throw RequestError(400, field,
                         "job " + row->id + " runs on scheduler '" + row->scheduler +
                             "'; a dependency must run on the same one ('" + scheduler_name + "')");
    }
  }
}

// The scheduler knows a dependency by its backend id: this instance's entry, else the
// store's row. One accepted earlier was taken from the queue earlier; another submit
// worker may still be submitting it, which is waited for (bounded). One that has no
// backend id (its submit failed) keeps this service's id, which the scheduler refuses
// naming the field, so the job ends ERROR saying why.
JobDescription JobService::with_backend_dependencies(JobDescription description) {
  for (JobDependency& d : description.dependencies) {
    std::string backend_id;
    if (auto entry = find(d.job_id)) {
      const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      for (bool final = false; !final && std::chrono::steady_clock::now() < give_up_at;) {
        {
          std::shared_lock lock(cache_mutex_);
          backend_id = entry->backend_id;
          final = entry->final;
        }
        if (!backend_id.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    if (backend_id.empty()) {
      if (const std::optional<JobRow> row = store_->get_job(d.job_id)) backend_id = row->backend_id;
    }
    if (!backend_id.empty()) d.job_id = backend_id;
  }
  return description;
}

void JobService::submit_loop() {
  while (true) {
    std::string id;
    {
      std::unique_lock lock(queue_mutex_);
      queue_wake_.wait(lock, [&] { return stopping_ || !submit_queue_.empty(); });
      if (stopping_) return;
      // Launching yields to a burst of submits: while one is arriving, a worker waits (at
      // most kLaunchYield per job) before it launches. The answers clients wait for come
      // first; their jobs are durable and launch right after, and a saturating stream
      // still launches (the wait is bounded).
      const auto yield_until = std::chrono::steady_clock::now() + kLaunchYield;
      bool deferred = false;
      while (!stopping_ && std::chrono::steady_clock::now() < yield_until &&
             accepting_in_a_burst()) {
        deferred = true;
        queue_wake_.wait_for(lock, kYieldPoll);
      }
      if (deferred) ++metrics_.launches_deferred;
      if (stopping_) return;
      if (submit_queue_.empty()) continue;
      id = submit_queue_.front();
      submit_queue_.pop_front();
      if (!submit_queue_.empty()) queue_wake_.notify_one();  // the next worker goes too
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
    backend_id = sched->submit(with_backend_dependencies(to_job_description(request, id)));
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

JobService::InFlight::InFlight(JobService& service) : service_(service) {
  std::unique_lock lock(service_.cache_mutex_);
  ++service_.submits_in_flight_;
}

JobService::InFlight::~InFlight() {
  std::unique_lock lock(service_.cache_mutex_);
  if (--service_.submits_in_flight_ == 0) service_.early_.clear();
}

}  // namespace cuttle::rest
