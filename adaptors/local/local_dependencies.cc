// LocalScheduler's hold of attached jobs with dependencies: such a job lives only as long
// as this process, so this process holds it (Queued) until every dependency's status
// decides, then admits it like any job, or ends it as Error when a dependency can never be
// met. Detached jobs are held by their wrapper instead (internal/dependency_wait.h).
#include "adaptors/local/local_job.h"
#include "adaptors/local/local_scheduler.h"
#include "internal/job_markers.h"

namespace cuttle::detail::local {

void LocalScheduler::hold(const JobPtr& job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job->queued = true;  // cancel() ends it as a job that never started
    held_.push_back(job);
  }
  JobStatus waiting = base_status(*job, JobState::kQueued, "waiting");
  waiting.reason = "waiting for dependencies";
  publish(std::move(waiting));
  release_held();  // its dependencies may have decided already
}

void LocalScheduler::release_held() {
  // A job ended here may decide a held job whose end decides another: until nothing moves.
  for (bool moved = true; moved;) {
    moved = false;
    std::vector<JobPtr> ready, never;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = held_.begin(); it != held_.end();) {
        DependencyOutcome outcome = DependencyOutcome::kSatisfied;
        for (const JobDependency& d : (*it)->description.dependencies) {
          const std::optional<JobStatus> status = cached(d.job_id);
          const DependencyOutcome one = status ? dependency_outcome(d.condition, *status)
                                               : DependencyOutcome::kNeverSatisfied;
          if (one == DependencyOutcome::kNeverSatisfied) outcome = one;
          if (one == DependencyOutcome::kWait && outcome == DependencyOutcome::kSatisfied) {
            outcome = one;
          }
        }
        if (outcome == DependencyOutcome::kWait) {
          ++it;
          continue;
        }
        (*it)->queued = false;
        (outcome == DependencyOutcome::kSatisfied ? ready : never).push_back(*it);
        it = held_.erase(it);
        moved = true;
      }
    }
    for (const JobPtr& job : never) {
      JobStatus status = base_status(*job, JobState::kError, "DependencyNeverSatisfied");
      status.reason = kDependencyNeverSatisfied;
      status.error = kDependencyNeverSatisfied;
      status.finished = Clock::now();
      conclude(job, std::move(status));
    }
    for (const JobPtr& job : ready) {
      if (admit(job)) start_queued(job);
    }
  }
}

}  // namespace cuttle::detail::local
