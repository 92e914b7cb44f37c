// LocalScheduler's exits: a pidfd per running job on the shared event loop, the final
// status (from the wrapper's record for detached jobs), the finish step on the
// background worker, and the slot a finished job frees.
#include "adaptors/local/local_scheduler.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "adaptors/local/background.h"
#include "adaptors/local/detached_record.h"
#include "adaptors/local/local_job.h"
#include "cuttle/error.h"
#include "internal/event_loop.h"
#include "internal/finish_step.h"
#include "internal/log.h"
#include "internal/stage_out_plan.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail::local {

void LocalScheduler::watch(const JobPtr& job, int pidfd) {
  auto& context = EventLoop::shared().context();
  try {
    job->pidfd = std::make_unique<boost::asio::posix::stream_descriptor>(context, pidfd);
  } catch (const std::exception& e) {
    ::close(pidfd);
    throw InternalError(std::string("local: cannot watch a pidfd: ") + e.what());
  }
  note_pidfd_opened();
  job->pidfd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [weak = weak_from_this(), job](const boost::system::error_code& ec) {
                           if (ec == boost::asio::error::operation_aborted) return;
                           on_readable(weak, job);
                         });
}

void LocalScheduler::on_readable(const std::weak_ptr<LocalScheduler>& weak, const JobPtr& job) {
  std::shared_ptr<LocalScheduler> self = weak.lock();
  std::optional<ExitInfo> exit;
  {
    // Reaping and marking the job exited happen together, so cancel() never signals a
    // process group whose leader was already reaped.
    std::unique_lock<std::mutex> lock;
    if (self) lock = std::unique_lock<std::mutex>(self->mutex_);
    if (job->child) {
      exit = try_reap(job->pidfd->native_handle());
      if (!exit) {
        lock = {};
        job->pidfd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                               [weak, job](const boost::system::error_code& ec) {
                                 if (ec == boost::asio::error::operation_aborted) return;
                                 on_readable(weak, job);
                               });
        return;
      }
    }
    job->exited = true;
  }
  boost::system::error_code ignored;
  job->pidfd->close(ignored);
  note_pidfd_closed();
  if (job->kill_timer) job->kill_timer->cancel();
  if (self) self->finish(job, exit);
}

void LocalScheduler::finish(const JobPtr& job, const std::optional<ExitInfo>& exit) {
  conclude(job, final_status(*job, exit));
  release_slot(job);
  release_held();
}

JobStatus LocalScheduler::final_status(const Job& job, const std::optional<ExitInfo>& exit) const {
  bool cancelled;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled = job.cancel_requested;
  }
  if (job.detached) {
    DetachedRecord record = read_record(job.sandbox->path());
    if (cancelled) record.markers.cancelled = true;
    JobStatus status = final_status_from_marker(job.id, record.markers);
    JobStatus base = base_status(job, status.state, status.native_state);
    base.reason = status.reason;
    base.error = status.error;
    base.exit_code = status.exit_code;
    base.step_exit_codes = status.step_exit_codes;
    base.finished = status.finished ? status.finished : Clock::now();
    if (status.started) base.started = status.started;
    return base;
  }
  JobStatus status = base_status(job, JobState::kFailed, "exited");
  status.finished = Clock::now();
  status.exit_code = exit ? exit->exit_code : 255;
  std::string how = !exit          ? "ended"
                    : exit->signal ? "killed by " + signal_name(*exit->signal)
                                   : "exited with code " + std::to_string(exit->exit_code);
  if (cancelled) {
    status.state = JobState::kCancelled;
    status.native_state = "cancelled";
    status.reason = "cancelled by user (" + how + ")";
  } else if (exit && exit->exit_code == 0) {
    status.state = JobState::kCompleted;
    status.reason = how;
  } else {
    status.reason = how;
    if (exit && exit->signal) status.scheduler_info["signal"] = std::to_string(*exit->signal);
  }
  return status;
}

// Publishes the final state after the finish step (stage-out, cleanup), which runs on the
// background worker: copying and removing files may take long, never on the event loop.
void LocalScheduler::conclude(const JobPtr& job, JobStatus status) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (job->concluded) return;
    job->concluded = true;
  }
  if (!job->sandbox) {
    publish(std::move(status));
    return;
  }
  FinishPlan plan;
  plan.keeps_record = job->detached;
  plan.stage_out = job->detached ? read_stage_out_plan(*file_system_, job->sandbox->path())
                                 : job->description.stage_out;
  plan.cleanup = options_.cleanup;
  if (plan.stage_out.empty() && plan.cleanup == CleanupPolicy::kNever) {
    publish(std::move(status));
    return;
  }
  const bool staged_elsewhere =
      plan.keeps_record && !plan.stage_out.empty() &&
      ::access(marker_path(job->sandbox->path(), "staged_out").c_str(), F_OK) == 0;
  if (plan.stage_out.empty() || staged_elsewhere) {
    // Nothing to copy (or another process did): the final state is known now; only the
    // cleanup, if any, is left for the worker.
    const auto no_staging = [](const JobStatus&) {};
    FinishPlan record_only = plan;
    record_only.cleanup = CleanupPolicy::kNever;
    run_finish_step(status, *job->sandbox, *file_system_, *file_system_, record_only, no_staging);
    FinishPlan cleanup_only;
    cleanup_only.cleanup = plan.cleanup;
    publish(status);
    if (cleanup_only.cleanup == CleanupPolicy::kNever) return;
    finishing_.run([files = file_system_, job, status, cleanup_only]() mutable {
      run_finish_step(status, *job->sandbox, *files, *files, cleanup_only, {});
    });
    return;
  }
  // Readers see StagingOut, never a stale state, while the worker copies.
  publish(staging_out_status(status));
  // The copy does not need the scheduler: it is done even while the scheduler is going
  // away (its destructor waits for it), and published if anyone is still listening.
  finishing_.run([weak = weak_from_this(), files = file_system_, job, status = std::move(status),
                  plan = std::move(plan)]() mutable {
    run_finish_step(status, *job->sandbox, *files, *files, plan, {});
    if (auto self = weak.lock()) self->publish(std::move(status));
  });
}

void LocalScheduler::release_slot(const JobPtr& job) {
  std::vector<JobPtr> ready;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!job->holds_slot) return;
    job->holds_slot = false;
    --running_;
    while (!queue_.empty() &&
           (options_.max_concurrent == 0 || running_ < options_.max_concurrent)) {
      JobPtr next = std::move(queue_.front());
      queue_.pop_front();
      next->holds_slot = true;
      ++running_;
      ready.push_back(std::move(next));
    }
  }
  for (const JobPtr& next : ready) start_queued(next);
}

}  // namespace cuttle::detail::local
