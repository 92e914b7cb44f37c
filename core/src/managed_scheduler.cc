// The decorator open_scheduler() puts around every adaptor: retries under a stable id,
// deadlines on the shared event loop for adaptors that cannot enforce max_runtime, and
// extend() moving that deadline.
// (~520 lines: retries, deadlines and extend all act on one ManagedJob record under one
// lock with one lock order, below; split apart, each part would need the others' locking.)
//
// Lock order: jobs_mutex_ is never held while calling the adaptor, publish() or a
// listener, because the adaptor calls observe() back from its own thread. Work that
// calls the adaptor from a callback (resubmit, cancel at a deadline) runs on a thread
// of its own so neither the adaptor's thread nor the event loop blocks on itself.
#include "internal/managed_scheduler.h"

#include <algorithm>
#include <boost/asio/system_timer.hpp>
#include <cstdint>
#include <set>
#include <thread>

#include "cuttle/error.h"
#include "internal/container_runtime.h"
#include "internal/event_loop.h"
#include "internal/exit_joins.h"
#include "internal/log.h"
#include "internal/resource_support.h"
#include "internal/scheduler_base.h"

namespace cuttle::detail {
namespace {

struct ManagedJob {
  JobDescription description;
  std::string backend_id;  // the adaptor's id of the current attempt
  int attempt = 1;
  std::vector<AttemptRecord> history;
  std::optional<std::chrono::seconds> allocation;  // max_runtime plus extensions
  std::optional<TimePoint> deadline;
  bool deadline_from_start = false;  // moved to start + allocation once seen running
  std::unique_ptr<boost::asio::system_timer> timer;
  std::uint64_t timer_generation = 0;
  bool expiring = false;      // we cancelled it because its deadline passed
  bool cancelled = false;     // a user cancelled it
  bool resubmitting = false;  // between a failed attempt and the next submit
  bool final = false;
};

std::string seconds_text(std::chrono::seconds s) { return std::to_string(s.count()) + "s"; }

// Joined once done, or at exit before libssh closes (it may talk to an ssh adaptor).
void run_detached(std::function<void()> work) {
  run_in_background([work = std::move(work)] {
    try {
      work();
    } catch (const std::exception& e) {
      log(LogLevel::kError, "managed_scheduler", "background work failed", {{"error", e.what()}});
    }
  });
}

class ManagedScheduler : public SchedulerBase,
                         public std::enable_shared_from_this<ManagedScheduler> {
 public:
  explicit ManagedScheduler(std::shared_ptr<Scheduler> adaptor)
      : adaptor_(std::move(adaptor)),
        enforce_time_limit_(!adaptor_->capabilities().native_time_limit) {}

  ~ManagedScheduler() override {
    subscription_.reset();
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    for (auto& [id, job] : jobs_) {
      if (job->timer) job->timer->cancel();
    }
  }

  void start() {
    std::weak_ptr<ManagedScheduler> weak = weak_from_this();
    subscription_ = adaptor_->subscribe([weak](const JobStatus& status) {
      if (auto self = weak.lock()) self->observe(status);
    });
  }

  std::string adaptor_name() const override { return adaptor_->adaptor_name(); }
  const Location& location() const override { return adaptor_->location(); }
  Capabilities capabilities() const override {
    Capabilities capabilities = adaptor_->capabilities();
    if (enforce_time_limit_) capabilities.extend = true;  // our timer can always move
    return capabilities;
  }

  std::string submit(const JobDescription& description) override {
    description.validate();
    refuse_what_the_adaptor_cannot_honour(description);
    const JobDescription submitted = with_backend_dependencies(description);
    begin_submit();
    std::string id;
    try {
      id = adaptor_->submit(submitted);
    } catch (...) {
      end_submit();
      throw;
    }
    auto job = std::make_shared<ManagedJob>();
    job->description = description;
    job->backend_id = id;
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      if (description.max_runtime) {
        // Kept for every adaptor (extend and the reported deadline); enforced here only
        // where the adaptor cannot enforce it itself.
        job->allocation = *description.max_runtime;
        if (enforce_time_limit_) {
          job->deadline = Clock::now() + *job->allocation;
          arm_timer(id, *job);
        }
      }
      jobs_[id] = job;
      backend_to_logical_[id] = id;
    }
    end_submit();
    return id;
  }

  // Dependencies name the ids this decorator hands out; the adaptor knows the current
  // attempt's. An id neither knows is an error naming the field, before anything runs.
  JobDescription with_backend_dependencies(const JobDescription& description) {
    if (description.dependencies.empty()) return description;
    JobDescription translated = description;
    std::vector<std::string> ids;
    for (const JobDependency& d : description.dependencies) ids.push_back(d.job_id);
    ids = backend_ids_of(ids);
    std::vector<std::string> unknown;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      translated.dependencies[i].job_id = ids[i];
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      if (!jobs_.count(description.dependencies[i].job_id)) unknown.push_back(ids[i]);
    }
    if (unknown.empty()) return translated;
    std::sort(unknown.begin(), unknown.end());
    unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
    std::set<std::string> missing;
    for (const StatusAnswer& answer : adaptor_->status_answers(unknown)) {
      if (!answer.status) missing.insert(answer.id);
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!missing.count(ids[i])) continue;
      throw InvalidJobDescription("dependencies[" + std::to_string(i) + "].job_id",
                                  "no job " + ids[i] + " on this scheduler (" +
                                      adaptor_->location().to_string() +
                                      "); a dependency names an earlier job of the same scheduler");
    }
    return translated;
  }

  // A field the adaptor would drop is an error naming it, never a silently different job.
  void refuse_what_the_adaptor_cannot_honour(const JobDescription& description) const {
    const Capabilities capabilities = adaptor_->capabilities();
    if (description.nodes && *description.nodes > 1 && !capabilities.multi_node) {
      throw Unsupported(adaptor_->adaptor_name() + ": nodes=" + std::to_string(*description.nodes) +
                        " needs a multi-node adaptor (slurm, torque); this one runs on one host");
    }
    if (!description.steps.empty() && !capabilities.steps) {
      throw Unsupported("steps: the " + adaptor_->adaptor_name() +
                        " adaptor cannot run a job as several steps in order (docs/steps.md)");
    }
    require_container_support(description, capabilities, adaptor_->adaptor_name());
    require_resource_support(description, capabilities, adaptor_->adaptor_name());
  }

  std::vector<JobStatus> statuses(const std::vector<std::string>& ids) override {
    std::vector<JobStatus> observed = adaptor_->statuses(backend_ids_of(ids));
    std::vector<JobStatus> result;
    result.reserve(observed.size());
    for (std::size_t i = 0; i < observed.size(); ++i) {
      JobStatus status = observe(observed[i]);
      if (i < ids.size()) status.id = ids[i];
      result.push_back(std::move(status));
    }
    return result;
  }

  std::vector<StatusAnswer> status_answers(const std::vector<std::string>& ids) override {
    std::vector<StatusAnswer> answers = adaptor_->status_answers(backend_ids_of(ids));
    for (std::size_t i = 0; i < answers.size() && i < ids.size(); ++i) {
      if (answers[i].status) {
        answers[i].status = observe(*answers[i].status);
        answers[i].status->id = ids[i];
      }
      answers[i].id = ids[i];
    }
    return answers;
  }

  JobStatus cancel(const std::string& id) override {
    std::unique_lock<std::mutex> lock(jobs_mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) {
      lock.unlock();
      return observe(adaptor_->cancel(id));
    }
    std::shared_ptr<ManagedJob> job = it->second;
    if (job->final) {
      lock.unlock();
      return current(id);
    }
    job->cancelled = true;
    disarm_timer(*job);
    if (job->resubmitting) {
      // No backend job exists for the next attempt yet; resubmit() cancels it on arrival.
      job->final = true;
      JobStatus status = logical_status(id, *job);
      status.state = JobState::kCancelled;
      status.reason = "cancelled before attempt " + std::to_string(job->attempt) + " started";
      status.finished = Clock::now();
      lock.unlock();
      return publish(status);
    }
    std::string backend_id = job->backend_id;
    lock.unlock();
    return observe(adaptor_->cancel(backend_id));
  }

  JobStatus extend(const std::string& id, std::chrono::seconds by) override {
    if (by.count() <= 0) throw InvalidArgument("extend needs a positive duration");
    std::unique_lock<std::mutex> lock(jobs_mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end() || !enforce_time_limit_) {
      std::string backend_id = it == jobs_.end() ? id : it->second->backend_id;
      lock.unlock();
      JobStatus status = adaptor_->extend(backend_id, by);
      record_native_extension(id, by);
      return observe(status);
    }
    std::shared_ptr<ManagedJob> job = it->second;
    if (job->final) {
      lock.unlock();
      return current(id);
    }
    if (!job->allocation) {
      throw InvalidArgument("job " + id + " has no time allocation (max_runtime) to extend");
    }
    *job->allocation += by;
    if (job->deadline) {
      *job->deadline += by;
      if (!job->resubmitting) arm_timer(id, *job);
    }
    std::optional<TimePoint> deadline = job->deadline;
    lock.unlock();
    JobStatus status = current(id);
    // An adaptor that enforces the limit itself reports its own deadline; keep it.
    if (deadline) status.deadline = deadline;
    return publish(status);
  }

  std::vector<QueueInfo> queues() override { return adaptor_->queues(); }
  std::shared_ptr<FileSystem> job_files() override { return adaptor_->job_files(); }

  std::vector<std::string> jobs(const std::string& queue) override {
    return to_logical(adaptor_->jobs(queue));
  }

  std::vector<std::string> find_by_name(const std::string& name) override {
    return to_logical(adaptor_->find_by_name(name));
  }

  void track(const std::string& id) override {
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      if (jobs_.count(id) != 0 || backend_to_logical_.count(id) != 0) return;
    }
    adaptor_->track(id);
  }

  // A finished logical job leaves with every attempt's backend id; the adaptor drops
  // each attempt. A job still running or being resubmitted is kept.
  void forget(const std::string& id) override {
    std::vector<std::string> backend_ids = {id};
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      auto it = jobs_.find(id);
      if (it != jobs_.end()) {
        const ManagedJob& job = *it->second;
        if (!job.final || job.resubmitting) return;
        backend_ids = {job.backend_id};
        for (const AttemptRecord& attempt : job.history) backend_ids.push_back(attempt.backend_id);
        for (const std::string& backend_id : backend_ids) backend_to_logical_.erase(backend_id);
        jobs_.erase(it);
      }
    }
    for (const std::string& backend_id : backend_ids) adaptor_->forget(backend_id);
    SchedulerBase::forget(id);
  }

  // The backend id of each logical id (an id this process did not submit is its own).
  std::vector<std::string> backend_ids_of(const std::vector<std::string>& ids) {
    std::vector<std::string> backend_ids;
    backend_ids.reserve(ids.size());
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    for (const std::string& id : ids) {
      auto it = jobs_.find(id);
      backend_ids.push_back(it == jobs_.end() ? id : it->second->backend_id);
    }
    return backend_ids;
  }

  // Every status the adaptor reports, pushed or asked for, passes through here and
  // leaves as the status of the logical job. Returns what the caller should see.
  JobStatus observe(const JobStatus& reported) {
    std::unique_lock<std::mutex> lock(jobs_mutex_);
    auto mapped = backend_to_logical_.find(reported.id);
    if (mapped == backend_to_logical_.end()) {
      if (submits_in_flight_ > 0) {
        // Possibly the first report of a job whose submit() has not returned yet.
        held_.push_back(reported);
        return reported;
      }
      lock.unlock();
      return publish(reported);  // a job we did not submit (re-attached): as it is
    }
    std::string logical = mapped->second;
    std::shared_ptr<ManagedJob> job = jobs_.at(logical);
    if (job->final || job->resubmitting || reported.id != job->backend_id) {
      JobStatus fallback = logical_status(logical, *job);
      lock.unlock();
      return cached(logical).value_or(fallback);  // a late report of a finished attempt
    }
    JobStatus status = reported;
    status.id = logical;
    status.attempt = job->attempt;
    status.attempts = job->history;
    bool final = is_final(reported.state);
    if (final && job->expiring && reported.state != JobState::kCompleted) {
      status.state = JobState::kExpired;
      status.reason = "time allocation of " +
                      seconds_text(job->allocation.value_or(std::chrono::seconds(0))) + " ran out";
    } else if (final && job->cancelled && reported.state != JobState::kCompleted) {
      // Killing a job may surface as a signal exit; the user asked for a cancel.
      status.state = JobState::kCancelled;
    } else if (final && should_retry(*job, reported.state)) {
      status = begin_retry(logical, *job, reported);
      lock.unlock();
      JobStatus published = publish(status);
      auto self = shared_from_this();
      run_detached([self, logical] { self->resubmit(logical); });
      return published;
    }
    if (!final) rebase_deadline(logical, *job, reported);
    if (final) {
      job->final = true;
      disarm_timer(*job);
    }
    if (job->deadline) status.deadline = job->deadline;
    if (!status.deadline && !enforce_time_limit_ && job->allocation && reported.started) {
      // The adaptor enforces the allocation from the job's start: say when it runs out.
      status.deadline = *reported.started + *job->allocation;
    }
    lock.unlock();
    return publish(status);
  }

 private:
  bool should_retry(const ManagedJob& job, JobState state) const {
    return (state == JobState::kFailed || state == JobState::kError) && !job.cancelled &&
           job.attempt <= job.description.retry_limit;
  }

  // REQUIRES: jobs_mutex_ held.
  JobStatus begin_retry(const std::string& logical, ManagedJob& job, const JobStatus& failed) {
    AttemptRecord record;
    record.attempt = job.attempt;
    record.backend_id = job.backend_id;
    record.state = failed.state;
    record.exit_code = failed.exit_code;
    record.reason = failed.reason;
    record.started = failed.started;
    record.finished = failed.finished ? failed.finished : std::optional<TimePoint>(Clock::now());
    job.history.push_back(record);
    job.attempt += 1;
    job.resubmitting = true;
    job.expiring = false;
    disarm_timer(job);
    job.deadline.reset();
    JobStatus status = logical_status(logical, job);
    status.state = JobState::kQueued;
    status.reason = "attempt " + std::to_string(record.attempt) + " ended " +
                    std::string(to_string(failed.state)) +
                    (failed.reason.empty() ? std::string() : " (" + failed.reason + ")") +
                    "; resubmitting";
    status.submitted = Clock::now();
    return status;
  }

  void resubmit(const std::string& logical) {
    JobDescription description;
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      auto it = jobs_.find(logical);
      if (it == jobs_.end()) return;
      description = it->second->description;
    }
    begin_submit();
    std::string backend_id;
    try {
      backend_id = adaptor_->submit(description);
    } catch (const std::exception& e) {
      fail_resubmit(logical, e.what());
      end_submit();
      return;
    }
    bool cancel_now = false;
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      ManagedJob& job = *jobs_.at(logical);
      job.backend_id = backend_id;
      job.resubmitting = false;
      backend_to_logical_[backend_id] = logical;
      cancel_now = job.cancelled;
      if (!cancel_now && enforce_time_limit_ && job.allocation) {
        job.deadline = Clock::now() + *job.allocation;
        job.deadline_from_start = false;
        arm_timer(logical, job);
      }
    }
    if (cancel_now) {
      try {
        adaptor_->cancel(backend_id);
      } catch (const std::exception& e) {
        log(LogLevel::kWarn, "managed_scheduler", "cancel of a resubmitted attempt failed",
            {{"job", logical}, {"error", e.what()}});
      }
    }
    end_submit();
  }

  void fail_resubmit(const std::string& logical, const std::string& what) {
    JobStatus status;
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      ManagedJob& job = *jobs_.at(logical);
      job.resubmitting = false;
      if (job.final) return;
      job.final = true;
      status = logical_status(logical, job);
    }
    status.state = JobState::kError;
    status.reason = "resubmitting attempt " + std::to_string(status.attempt) + " failed";
    status.error = what;
    status.finished = Clock::now();
    publish(status);
  }

  void begin_submit() {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    ++submits_in_flight_;
  }

  // Replays the reports that arrived for ids unknown while a submit was in flight.
  void end_submit() {
    std::vector<JobStatus> replay;
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      --submits_in_flight_;
      if (submits_in_flight_ == 0) {
        replay.swap(held_);
      } else {
        std::vector<JobStatus> still_held;
        for (JobStatus& status : held_) {
          (backend_to_logical_.count(status.id) ? replay : still_held).push_back(std::move(status));
        }
        held_.swap(still_held);
      }
    }
    for (const JobStatus& status : replay) observe(status);
  }

  // REQUIRES: jobs_mutex_ held. A status carrying what we know of the logical job,
  // starting from the last one published.
  JobStatus logical_status(const std::string& logical, const ManagedJob& job) const {
    JobStatus status;
    status.id = logical;
    status.attempt = job.attempt;
    status.attempts = job.history;
    status.deadline = job.deadline;
    return status;
  }

  JobStatus current(const std::string& id) {
    if (std::optional<JobStatus> status = cached(id)) return *status;
    return status(id);
  }

  // The allocation is run time: once the job is seen running, count from its start.
  // REQUIRES: jobs_mutex_ held.
  void rebase_deadline(const std::string& logical, ManagedJob& job, const JobStatus& reported) {
    if (!enforce_time_limit_ || !job.allocation || job.deadline_from_start) return;
    if (reported.state != JobState::kRunning && reported.state != JobState::kStagingOut) return;
    job.deadline_from_start = true;
    TimePoint from_start = reported.started.value_or(Clock::now()) + *job.allocation;
    if (!job.deadline || from_start > *job.deadline) {
      job.deadline = from_start;
      arm_timer(logical, job);
    }
  }

  // REQUIRES: jobs_mutex_ held. Re-arming cancels the previous wait; a stale handler
  // recognises itself by its generation.
  void arm_timer(const std::string& logical, ManagedJob& job) {
    if (!job.timer) {
      job.timer = std::make_unique<boost::asio::system_timer>(EventLoop::shared().context());
    }
    std::uint64_t generation = ++job.timer_generation;
    job.timer->expires_at(*job.deadline);
    std::weak_ptr<ManagedScheduler> weak = weak_from_this();
    job.timer->async_wait([weak, logical, generation](const boost::system::error_code& error) {
      if (error) return;
      if (auto self = weak.lock()) self->on_deadline(logical, generation);
    });
  }

  // REQUIRES: jobs_mutex_ held.
  void disarm_timer(ManagedJob& job) {
    ++job.timer_generation;
    if (job.timer) job.timer->cancel();
  }

  // On the event loop thread: the backend call happens elsewhere, since an adaptor's
  // cancel may itself need this loop.
  void on_deadline(const std::string& logical, std::uint64_t generation) {
    std::string backend_id;
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      auto it = jobs_.find(logical);
      if (it == jobs_.end()) return;
      ManagedJob& job = *it->second;
      if (generation != job.timer_generation || job.final || job.resubmitting || job.cancelled) {
        return;
      }
      job.expiring = true;
      backend_id = job.backend_id;
    }
    auto self = shared_from_this();
    run_detached([self, backend_id] { self->observe(self->adaptor_->cancel(backend_id)); });
  }

  void record_native_extension(const std::string& id, std::chrono::seconds by) {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    auto it = jobs_.find(id);
    if (it != jobs_.end() && it->second->allocation) *it->second->allocation += by;
  }

  std::vector<std::string> to_logical(const std::vector<std::string>& backend_ids) {
    std::vector<std::string> result;
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    for (const std::string& id : backend_ids) {
      auto it = backend_to_logical_.find(id);
      const std::string& logical = it == backend_to_logical_.end() ? id : it->second;
      if (std::find(result.begin(), result.end(), logical) == result.end()) {
        result.push_back(logical);
      }
    }
    return result;
  }

  std::shared_ptr<Scheduler> adaptor_;
  bool enforce_time_limit_;
  std::shared_ptr<Subscription> subscription_;
  std::mutex jobs_mutex_;
  std::map<std::string, std::shared_ptr<ManagedJob>> jobs_;  // by logical id
  std::map<std::string, std::string> backend_to_logical_;    // every attempt's id
  int submits_in_flight_ = 0;
  std::vector<JobStatus> held_;
};

}  // namespace

std::shared_ptr<Scheduler> make_managed_scheduler(std::shared_ptr<Scheduler> adaptor) {
  if (!adaptor) throw InvalidArgument("make_managed_scheduler needs an adaptor");
  auto managed = std::make_shared<ManagedScheduler>(std::move(adaptor));
  managed->start();
  return managed;
}

}  // namespace cuttle::detail
