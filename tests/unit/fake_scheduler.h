// A scheduler whose jobs move only when a test says so, built on SchedulerBase like
// every real adaptor (for unit tests of SchedulerBase, the managed decorator and the
// Tracker; integration tests use real adaptors). Thread-safety: as Scheduler.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "cuttle/error.h"
#include "internal/scheduler_base.h"

namespace cuttle::testing {

class FakeScheduler : public detail::SchedulerBase {
 public:
  explicit FakeScheduler(Capabilities capabilities = {}) : capabilities_(capabilities) {
    location_.scheme = "fake";
  }

  std::string adaptor_name() const override { return "fake"; }
  const Location& location() const override { return location_; }
  Capabilities capabilities() const override { return capabilities_; }

  std::string submit(const JobDescription& description) override {
    std::string id;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (fail_next_submits_ > 0) {
        --fail_next_submits_;
        throw ConnectionFailed("fake: submit refused");
      }
      id = "fake-" + std::to_string(++next_id_);
      submitted_.push_back(description);
      submitted_ids_.push_back(id);
    }
    JobStatus status;
    status.id = id;
    status.state = JobState::kQueued;
    status.submitted = Clock::now();
    publish(status);
    if (on_submit) on_submit(id);
    return id;
  }

  std::vector<JobStatus> statuses(const std::vector<std::string>& ids) override {
    ++status_calls;
    std::vector<JobStatus> result;
    for (const std::string& id : ids) {
      std::optional<JobStatus> status = cached(id);
      if (!status) throw NoSuchJob(id);
      result.push_back(*status);
    }
    return result;
  }

  JobStatus cancel(const std::string& id) override {
    std::optional<JobStatus> status = cached(id);
    if (!status) throw NoSuchJob(id);
    if (status->done()) return *status;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ids_.push_back(id);
    }
    if (cancel_reports_signal) return set(id, JobState::kFailed, 128 + 15);
    return set(id, JobState::kCancelled);
  }

  std::vector<std::string> jobs(const std::string&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return submitted_ids_;
  }

  void track(const std::string& id) override {
    if (!cached(id)) throw NoSuchJob(id);
  }

  // Moves a job as the backend would and publishes it (listeners run on this thread).
  JobStatus set(const std::string& id, JobState state, std::optional<int> exit_code = {},
                int attempt = 1, std::string reason = {}) {
    JobStatus status = cached(id).value_or(JobStatus{});
    status.id = id;
    status.state = state;
    status.exit_code = exit_code;
    status.attempt = attempt;
    status.reason = std::move(reason);
    if (state == JobState::kRunning) status.started = Clock::now();
    if (is_final(state)) status.finished = Clock::now();
    return publish(status);
  }
  JobStatus publish_raw(const JobStatus& status) { return publish(status); }
  using SchedulerBase::active_ids;
  using SchedulerBase::cached;
  using SchedulerBase::forget;

  std::vector<std::string> submitted_ids() {
    std::lock_guard<std::mutex> lock(mutex_);
    return submitted_ids_;
  }
  std::vector<JobDescription> submitted() {
    std::lock_guard<std::mutex> lock(mutex_);
    return submitted_;
  }
  std::vector<std::string> cancelled_ids() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cancelled_ids_;
  }
  void fail_next_submits(int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_next_submits_ = n;
  }

  std::function<void(const std::string&)> on_submit;  // set before use
  std::atomic<int> status_calls{0};
  std::atomic<bool> cancel_reports_signal{false};

 private:
  Capabilities capabilities_;
  Location location_;
  std::mutex mutex_;
  int next_id_ = 0;
  int fail_next_submits_ = 0;
  std::vector<JobDescription> submitted_;
  std::vector<std::string> submitted_ids_;
  std::vector<std::string> cancelled_ids_;
};

}  // namespace cuttle::testing
