// Final-state resolution: a job that left the queue is never Completed by default; the
// marker gives its true exit code; without one it waits out the grace window and then
// is Error "lost".
#include <gtest/gtest.h>

#include "adaptors/batch/resolution.h"
#include "internal/poll_loop.h"

namespace cuttle::detail {
namespace {

using namespace std::chrono_literals;

NativeJob job(std::optional<JobState> state, std::string native, bool from_marker = false) {
  NativeJob j;
  j.id = "42";
  j.state = state;
  j.native_state = std::move(native);
  j.exit_code_from_marker = from_marker;
  return j;
}

MarkerState marker_with_exit(int code) {
  MarkerState m;
  m.exists = true;
  m.exit_code = code;
  return m;
}

Observation base() {
  Observation o;
  o.id = "42";
  o.now = Clock::now();
  o.lost_rule = LostRule(60s);
  return o;
}

TEST(BatchResolution, QueueStateWins) {
  Observation o = base();
  o.queue = job(JobState::kRunning, "RUNNING");
  Resolution r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->state, JobState::kRunning);
  EXPECT_FALSE(r.missing);
}

TEST(BatchResolution, FailedInQueueTakesTheExitCodeFromTheMarker) {
  Observation o = base();
  o.queue = job(JobState::kFailed, "FAILED", true);
  EXPECT_TRUE(needs_marker(o.queue, std::nullopt));
  o.marker = marker_with_exit(5);
  Resolution r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->state, JobState::kFailed);
  EXPECT_EQ(r.status->exit_code, 5);
  EXPECT_EQ(r.status->native_state, "FAILED");
}

TEST(BatchResolution, VanishedJobWithMarkerReportsItsTrueExitCode) {
  Observation o = base();
  EXPECT_TRUE(needs_marker(std::nullopt, std::nullopt));
  o.marker = marker_with_exit(3);
  Resolution r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->state, JobState::kFailed);
  EXPECT_EQ(r.status->exit_code, 3);
}

TEST(BatchResolution, VanishedJobIsNeverCompletedWithoutAMarker) {
  Observation o = base();
  MarkerState running;  // the wrapper started but wrote no exit code
  running.exists = true;
  o.marker = running;
  Resolution r = resolve(o);
  EXPECT_FALSE(r.status);
  EXPECT_TRUE(r.missing);
  o.missing_since = o.now - 30s;
  EXPECT_FALSE(resolve(o).status);
  o.missing_since = o.now - 61s;
  r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->state, JobState::kError);
  EXPECT_EQ(r.status->reason, "lost");
  EXPECT_TRUE(r.status->error);
}

TEST(BatchResolution, AccountingResolvesAJobTheQueueForgot) {
  Observation o = base();
  NativeJob acct = job(JobState::kFailed, "FAILED");
  acct.exit_code = 7;
  o.accounting = acct;
  EXPECT_TRUE(needs_marker(std::nullopt, o.accounting));  // the record outranks it
  Resolution r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->exit_code, 7);
}

TEST(BatchResolution, FinishedWithoutHowIsResolvedByTheMarker) {
  Observation o = base();
  o.queue = job(std::nullopt, "C", true);  // Torque C without exit_status
  EXPECT_TRUE(needs_marker(o.queue, std::nullopt));
  o.marker = marker_with_exit(0);
  Resolution r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->state, JobState::kCompleted);
  EXPECT_EQ(r.status->native_state, "C");
}

TEST(BatchResolution, CancelWeAskedForExplainsAKill) {
  Observation o = base();
  NativeJob killed = job(JobState::kFailed, "C");
  killed.exit_code = 137;
  o.queue = killed;
  o.cancel_requested = true;
  EXPECT_EQ(resolve(o).status->state, JobState::kCancelled);
  Observation gone = base();
  gone.cancel_requested = true;
  EXPECT_EQ(resolve(gone).status->state, JobState::kCancelled);
}

TEST(BatchResolution, RunningJobsNeedNoMarkerRead) {
  EXPECT_FALSE(needs_marker(job(JobState::kRunning, "RUNNING"), std::nullopt));
  EXPECT_FALSE(needs_marker(job(JobState::kQueued, "PENDING"), std::nullopt));
}

TEST(BatchResolution, TheWrappersRecordOutranksTheSchedulersWord) {
  Observation o = base();
  o.queue = job(JobState::kCancelled, "CANCELLED");  // Slurm's word for our deadline TERM
  o.marker = marker_with_exit(143);
  o.marker->cause = EndCause::kDeadline;
  Resolution r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->state, JobState::kExpired);
  EXPECT_EQ(r.status->exit_code, 143);
}

TEST(BatchResolution, SameFinalStateBeforeAndAfterTheQueueForgetsTheJob) {
  MarkerState killed = marker_with_exit(143);
  killed.cause = EndCause::kSignal;  // scancel from outside Cuttle
  Observation listed = base();
  listed.queue = job(JobState::kCancelled, "CANCELLED");
  listed.queue->info["reason"] = "Priority";
  listed.marker = killed;
  Observation forgotten = base();
  forgotten.marker = killed;
  const JobStatus before = *resolve(listed).status;
  const JobStatus after = *resolve(forgotten).status;
  EXPECT_EQ(before.state, JobState::kCancelled);
  EXPECT_EQ(after.state, before.state);
  EXPECT_EQ(after.exit_code, before.exit_code);
  EXPECT_EQ(after.reason, before.reason);
  EXPECT_EQ(before.scheduler_info.count("reason"), 0u);
}

TEST(BatchResolution, AFinalSchedulerWordWaitsForTheWrappersRecord) {
  Observation o = base();
  o.queue = job(JobState::kCancelled, "CANCELLED");
  MarkerState writing;  // the wrapper runs (pid recorded) but has not recorded its end
  writing.exists = true;
  writing.pid = 4242;
  o.marker = writing;
  Resolution r = resolve(o);
  ASSERT_TRUE(r.status);  // not final yet, whoever asks
  EXPECT_EQ(r.status->state, JobState::kRunning);
  EXPECT_TRUE(r.missing);
  o.missing_since = o.now - 16s;  // it never will: the scheduler's word after the wait
  r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->state, JobState::kCancelled);
}

TEST(BatchResolution, ACancelledWrapperStillRunningIsWaitedFor) {
  Observation o = base();
  o.queue = job(std::nullopt, "C", true);  // Torque C without exit_status
  MarkerState cancelling;  // cancelled, the job ignores TERM until the wrapper KILLs it
  cancelling.exists = true;
  cancelling.pid = 4242;
  cancelling.cancelled = true;
  o.marker = cancelling;
  EXPECT_EQ(resolve(o).status->state, JobState::kRunning);
  o.marker->exit_code = 137;
  o.marker->cause = EndCause::kCancel;
  const Resolution r = resolve(o);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->state, JobState::kCancelled);
  EXPECT_EQ(r.status->exit_code, 137);
}

TEST(BatchPollInterval, FastAfterAChangeSlowerWhileNothingChanges) {
  PollInterval interval(1000ms, 5000ms);
  EXPECT_EQ(interval.current(), 1000ms);
  for (int i = 0; i < 20; ++i) interval.back_off();
  EXPECT_EQ(interval.current(), 5000ms);
  interval.reset();
  EXPECT_EQ(interval.current(), 1000ms);
  interval.back_off();
  EXPECT_GT(interval.current(), 1000ms);
}

}  // namespace
}  // namespace cuttle::detail
