// The managed decorator over a fake adaptor: retries under one stable id with attempt
// history, Expired at the deadline (not Cancelled), extend() moving the deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "cuttle/registry.h"
#include "internal/managed_scheduler.h"
#include "tests/unit/fake_scheduler.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;
using testing::FakeScheduler;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

JobDescription job(int retry_limit = 0, std::optional<std::chrono::seconds> max_runtime = {}) {
  JobDescription d;
  d.executable = "/bin/echo";
  d.arguments = {"$(id)", "`x`", "a b", "it's"};
  d.retry_limit = retry_limit;
  d.max_runtime = max_runtime;
  return d;
}

class ManagedSchedulerTest : public ::testing::Test {
 protected:
  void open(Capabilities capabilities = {}) {
    fake_ = std::make_shared<FakeScheduler>(capabilities);
    managed_ = detail::make_managed_scheduler(fake_);
  }
  // Waits until the fake has seen `n` submissions and returns the last id.
  std::string submission(std::size_t n) {
    EXPECT_TRUE(eventually([&] { return fake_->submitted_ids().size() >= n; }))
        << "only " << fake_->submitted_ids().size() << " submissions";
    auto ids = fake_->submitted_ids();
    return ids.size() >= n ? ids[n - 1] : std::string();
  }

  std::shared_ptr<FakeScheduler> fake_;
  std::shared_ptr<Scheduler> managed_;
};

// An adaptor without its own status_answers() gets core's: asked again without each id
// it names missing, so one unknown id hides no other.
TEST_F(ManagedSchedulerTest, StatusAnswersNameEachUnknownIdAndAnswerTheOthers) {
  open();
  const std::string a = managed_->submit(job());
  const std::string b = managed_->submit(job());
  std::vector<StatusAnswer> answers = managed_->status_answers({"nope", a, "gone", b});
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].id, "nope");
  EXPECT_FALSE(answers[0].status);
  EXPECT_EQ(answers[0].missing, "no such job: nope");
  EXPECT_EQ(answers[2].missing, "no such job: gone");
  for (std::size_t i : {1, 3}) {
    ASSERT_TRUE(answers[i].status) << answers[i].missing;
    EXPECT_EQ(answers[i].status->id, answers[i].id);
    EXPECT_EQ(answers[i].status->state, JobState::kQueued);
  }
  EXPECT_EQ(answers[1].id, a);
  EXPECT_EQ(answers[3].id, b);
}

TEST_F(ManagedSchedulerTest, PassesSubmitAndStatusThrough) {
  open();
  std::string id = managed_->submit(job());
  EXPECT_EQ(id, fake_->submitted_ids().at(0));
  EXPECT_EQ(fake_->submitted().at(0), job());  // the description reaches the adaptor intact
  fake_->set(id, JobState::kRunning);
  EXPECT_TRUE(managed_->status(id).running());
  EXPECT_EQ(managed_->adaptor_name(), "fake");
  EXPECT_EQ(managed_->jobs(), std::vector<std::string>{id});
}

TEST_F(ManagedSchedulerTest, InvalidDescriptionIsRefusedBeforeTheAdaptor) {
  open();
  EXPECT_THROW(managed_->submit(JobDescription{}), InvalidJobDescription);
  EXPECT_TRUE(fake_->submitted_ids().empty());
}

TEST_F(ManagedSchedulerTest, StepsAreRefusedNamingThemWhereTheAdaptorCannotRunThem) {
  open();  // the fake's capabilities: steps false
  try {
    managed_->submit(testing::job_with_steps({testing::step("true")}));
    FAIL() << "a job with steps reached an adaptor that cannot run them";
  } catch (const Unsupported& e) {
    EXPECT_EQ(std::string(e.what()).rfind("steps: ", 0), 0u) << e.what();
  }
  EXPECT_TRUE(fake_->submitted_ids().empty());
}

TEST_F(ManagedSchedulerTest, FailedAttemptsAreRetriedUpToTheLimitUnderOneId) {
  open();
  std::string id = managed_->submit(job(2));
  fake_->set(submission(1), JobState::kFailed, 1);
  fake_->set(submission(2), JobState::kRunning);
  JobStatus second = managed_->status(id);
  EXPECT_EQ(second.id, id);
  EXPECT_EQ(second.attempt, 2);
  EXPECT_TRUE(second.running());
  ASSERT_EQ(second.attempts.size(), 1u);
  EXPECT_EQ(second.attempts[0].attempt, 1);
  EXPECT_EQ(second.attempts[0].backend_id, submission(1));
  EXPECT_EQ(second.attempts[0].state, JobState::kFailed);
  EXPECT_EQ(second.attempts[0].exit_code, 1);

  fake_->set(submission(2), JobState::kError, std::nullopt, 1, "node lost");
  fake_->set(submission(3), JobState::kFailed, 7);
  JobStatus last = managed_->wait_until_done(id, 10s);
  EXPECT_EQ(last.id, id);
  EXPECT_EQ(last.state, JobState::kFailed);
  EXPECT_EQ(last.exit_code, 7);
  EXPECT_EQ(last.attempt, 3);
  ASSERT_EQ(last.attempts.size(), 2u);
  EXPECT_EQ(last.attempts[1].state, JobState::kError);
  EXPECT_EQ(last.attempts[1].reason, "node lost");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fake_->submitted_ids().size(), 3u);  // retry_limit 2 = three attempts in all
}

TEST_F(ManagedSchedulerTest, SuccessfulRetryCompletesUnderTheFirstId) {
  open();
  std::string id = managed_->submit(job(3));
  fake_->set(submission(1), JobState::kFailed, 1);
  fake_->set(submission(2), JobState::kCompleted, 0);
  JobStatus done = managed_->wait_until_done(id, 10s);
  EXPECT_EQ(done.state, JobState::kCompleted);
  EXPECT_EQ(done.attempt, 2);
  EXPECT_EQ(fake_->submitted_ids().size(), 2u);
}

TEST_F(ManagedSchedulerTest, ForgetDropsEveryAttemptOfAFinishedJobAndKeepsAnActiveOne) {
  open();
  const std::string id = managed_->submit(job(1));
  const std::string active = managed_->submit(job());
  fake_->set(submission(1), JobState::kFailed, 1);
  fake_->set(submission(3), JobState::kCompleted, 0);
  ASSERT_EQ(managed_->wait_until_done(id, 10s).state, JobState::kCompleted);
  managed_->forget(id);
  managed_->forget(active);
  EXPECT_FALSE(fake_->cached(submission(1)));  // the adaptor forgot both attempts
  EXPECT_FALSE(fake_->cached(submission(3)));
  EXPECT_THROW(managed_->status(id), NoSuchJob);  // the fake keeps no durable record
  EXPECT_EQ(managed_->status(active).state, JobState::kQueued);
  EXPECT_TRUE(fake_->cached(active));
}

TEST_F(ManagedSchedulerTest, WithoutRetryLimitFailureIsFinal) {
  open();
  std::string id = managed_->submit(job(0));
  fake_->set(id, JobState::kFailed, 2);
  EXPECT_EQ(managed_->wait_until_done(id, 10s).state, JobState::kFailed);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fake_->submitted_ids().size(), 1u);
}

TEST_F(ManagedSchedulerTest, ListenersSeeOnlyTheLogicalIdAndNoIntermediateFailure) {
  open();
  std::mutex mutex;
  std::vector<JobStatus> seen;
  auto sub = managed_->subscribe([&](const JobStatus& status) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(status);
  });
  std::string id = managed_->submit(job(1));
  fake_->set(submission(1), JobState::kFailed, 1);
  fake_->set(submission(2), JobState::kCompleted, 0);
  managed_->wait_until_done(id, 10s);
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_FALSE(seen.empty());
  for (const JobStatus& status : seen) {
    EXPECT_EQ(status.id, id);
    if (status.done()) {
      EXPECT_EQ(status.state, JobState::kCompleted);
    }
  }
  EXPECT_EQ(seen.back().state, JobState::kCompleted);
}

TEST_F(ManagedSchedulerTest, JobFailingBeforeSubmitReturnsIsStillRetried) {
  open();
  fake_->on_submit = [this](const std::string& backend_id) {
    if (fake_->submitted_ids().size() == 1) fake_->set(backend_id, JobState::kFailed, 9);
  };
  std::string id = managed_->submit(job(1));
  fake_->set(submission(2), JobState::kCompleted, 0);
  JobStatus done = managed_->wait_until_done(id, 10s);
  EXPECT_EQ(done.state, JobState::kCompleted);
  EXPECT_EQ(done.attempt, 2);
}

TEST_F(ManagedSchedulerTest, CancelledJobIsNotRetriedAndCancelIsIdempotent) {
  open();
  std::string id = managed_->submit(job(5));
  fake_->set(id, JobState::kRunning);
  EXPECT_EQ(managed_->cancel(id).state, JobState::kCancelled);
  EXPECT_EQ(managed_->cancel(id).state, JobState::kCancelled);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fake_->submitted_ids().size(), 1u);
  EXPECT_EQ(fake_->cancelled_ids().size(), 1u);
}

TEST_F(ManagedSchedulerTest, CancelledJobThatDiesBySignalIsReportedCancelledNotRetried) {
  open();
  fake_->cancel_reports_signal = true;  // a backend that sees the kill as exit 143
  std::string id = managed_->submit(job(2));
  fake_->set(id, JobState::kRunning);
  JobStatus cancelled = managed_->cancel(id);
  EXPECT_EQ(cancelled.state, JobState::kCancelled);
  EXPECT_EQ(managed_->wait_until_done(id, 10s).state, JobState::kCancelled);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fake_->submitted_ids().size(), 1u);
}

TEST_F(ManagedSchedulerTest, FailedResubmissionEndsInError) {
  open();
  std::string id = managed_->submit(job(1));
  fake_->fail_next_submits(1);
  fake_->set(id, JobState::kFailed, 1);
  JobStatus done = managed_->wait_until_done(id, 10s);
  EXPECT_EQ(done.state, JobState::kError);
  ASSERT_TRUE(done.error);
  EXPECT_NE(done.error->find("submit refused"), std::string::npos) << *done.error;
}

TEST_F(ManagedSchedulerTest, JobIsExpiredNotCancelledAtItsDeadline) {
  open();  // the fake has no native time limit
  std::string id = managed_->submit(job(2, 1s));
  fake_->set(id, JobState::kRunning);
  JobStatus running = managed_->status(id);
  ASSERT_TRUE(running.deadline);
  JobStatus done = managed_->wait_until_done(id, 20s);
  EXPECT_EQ(done.state, JobState::kExpired);
  EXPECT_EQ(done.attempt, 1);  // an expired job is not retried
  EXPECT_EQ(fake_->cancelled_ids(), std::vector<std::string>{id});
  EXPECT_EQ(fake_->submitted_ids().size(), 1u);
}

TEST_F(ManagedSchedulerTest, AdaptorWithNativeTimeLimitIsLeftToEnforceIt) {
  Capabilities native;
  native.native_time_limit = true;
  open(native);
  std::string id = managed_->submit(job(0, 1s));
  fake_->set(id, JobState::kRunning);
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(managed_->status(id).running());
  EXPECT_TRUE(fake_->cancelled_ids().empty());
  EXPECT_THROW(managed_->extend(id, 10s), Unsupported);  // the fake cannot extend
}

TEST_F(ManagedSchedulerTest, ExtendMovesTheDeadline) {
  open();
  EXPECT_TRUE(managed_->capabilities().extend);
  std::string id = managed_->submit(job(0, 1s));
  fake_->set(id, JobState::kRunning);
  TimePoint before = *managed_->status(id).deadline;
  JobStatus extended = managed_->extend(id, 2s);
  ASSERT_TRUE(extended.deadline);
  EXPECT_EQ(*extended.deadline - before, std::chrono::seconds(2));
  std::this_thread::sleep_for(1500ms);  // past the original deadline
  EXPECT_TRUE(managed_->status(id).running());
  JobStatus done = managed_->wait_until_done(id, 20s);
  EXPECT_EQ(done.state, JobState::kExpired);
  EXPECT_GE(Clock::now(), before + 2s);
}

TEST_F(ManagedSchedulerTest, ExtendWithoutTimeAllocationIsRefused) {
  open();
  std::string id = managed_->submit(job());
  EXPECT_THROW(managed_->extend(id, 10s), InvalidArgument);
  EXPECT_THROW(managed_->extend(id, 0s), InvalidArgument);
}

TEST_F(ManagedSchedulerTest, JobFinishingBeforeDeadlineIsNotCancelled) {
  open();
  std::string id = managed_->submit(job(0, 1s));
  fake_->set(id, JobState::kCompleted, 0);
  std::this_thread::sleep_for(1300ms);
  EXPECT_EQ(managed_->status(id).state, JobState::kCompleted);
  EXPECT_TRUE(fake_->cancelled_ids().empty());
}

TEST_F(ManagedSchedulerTest, ForeignJobsPassThrough) {
  open();
  std::string foreign = fake_->submit(job());  // submitted by "another process"
  managed_->track(foreign);
  fake_->set(foreign, JobState::kRunning);
  EXPECT_TRUE(managed_->wait_until_running(foreign, 10s).running());
  EXPECT_EQ(managed_->cancel(foreign).state, JobState::kCancelled);
  EXPECT_THROW(managed_->status("no-such-job"), NoSuchJob);
}

TEST_F(ManagedSchedulerTest, DroppingTheManagedSchedulerWithPendingDeadlinesIsSafe) {
  open();
  managed_->submit(job(0, 1s));
  managed_.reset();
  std::this_thread::sleep_for(1200ms);  // the timer fires into a destroyed scheduler
  EXPECT_TRUE(fake_->cancelled_ids().empty());
}

TEST(OpenScheduler, WrapsTheRegisteredAdaptorAndValidatesProperties) {
  static std::shared_ptr<FakeScheduler> created;
  AdaptorDescriptor descriptor;
  descriptor.name = "fakeopen";
  descriptor.schemes = {"fakeopen"};
  descriptor.properties = {{"speed", PropertyType::kInt, "1", "how fast"}};
  descriptor.factory = [](const Location&, const Properties& properties, const Credential&) {
    EXPECT_EQ(properties.get_int("speed"), 3);
    created = std::make_shared<FakeScheduler>();
    return std::shared_ptr<Scheduler>(created);
  };
  static const bool registered = [&] {  // once per process, so the test can repeat
    Registry::global().add(descriptor);
    return true;
  }();
  ASSERT_TRUE(registered);
  SchedulerOptions options;
  options.properties = {{"speed", "3"}};
  std::shared_ptr<Scheduler> scheduler = open_scheduler("fakeopen://", options);
  ASSERT_TRUE(created);
  EXPECT_NE(scheduler.get(), created.get());  // the managed decorator, not the adaptor
  EXPECT_TRUE(scheduler->capabilities().extend);
  std::string id = scheduler->submit(job(0, 60s));
  EXPECT_TRUE(scheduler->status(id).deadline);
  options.properties = {{"no.such.key", "1"}};
  EXPECT_THROW(open_scheduler("fakeopen://", options), InvalidArgument);
  EXPECT_THROW(open_scheduler("nosuchscheme://"), InvalidArgument);
  created.reset();
}

}  // namespace
}  // namespace cuttle
