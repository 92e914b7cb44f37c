// Dependencies on local://: with mode=detached held by the job's wrapper, so the hold
// outlives the process that submitted the job (a new scheduler object sees it waiting,
// then finished); attached, held by this process. A cancelled waiting job never runs.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "cuttle/cuttle.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;

using cuttle::testing::job;

class LocalDependencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/cuttle-local-deps-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::shared_ptr<Scheduler> open() {
    SchedulerOptions options;
    options.properties = {{"mode", "detached"}, {"sandbox.root", dir_ + "/sandboxes"}};
    return open_scheduler("local://", options);
  }
  JobDescription after(DependencyCondition condition, const std::string& id, JobDescription d) {
    d.dependencies.push_back({condition, id});
    return d;
  }
  std::string dir_;
};

TEST_F(LocalDependencyTest, TheHoldOutlivesTheSubmitterAndANewObjectSeesItWaitThenRun) {
  const std::string witness = dir_ + "/b-ran";
  std::string a, b;
  {
    auto first = open();
    a = first->submit(job("sleep", {"2"}));
    b = first->submit(after(DependencyCondition::kAfterOk, a, job("touch", {witness})));
  }  // the submitting scheduler is gone; the wrappers are not
  auto second = open();
  const JobStatus waiting = second->status(b);
  EXPECT_EQ(waiting.state, JobState::kQueued) << waiting.native_state;
  EXPECT_FALSE(std::filesystem::exists(witness));
  const JobStatus sa = second->wait_until_done(a, 20s);
  const JobStatus sb = second->wait_until_done(b, 20s);
  EXPECT_EQ(sb.state, JobState::kCompleted) << sb.reason;
  EXPECT_TRUE(std::filesystem::exists(witness));
  ASSERT_TRUE(sa.finished && sb.started);
  EXPECT_GE(*sb.started + 1s, *sa.finished);
}

TEST_F(LocalDependencyTest, AWaitingJobCancelledNeverRunsAndItsDependentsSeeItEnded) {
  const std::string witness = dir_ + "/b-ran";
  auto scheduler = open();
  const std::string a = scheduler->submit(job("sleep", {"30"}));
  const std::string b =
      scheduler->submit(after(DependencyCondition::kAfterOk, a, job("touch", {witness})));
  const std::string c = scheduler->submit(after(DependencyCondition::kAfterNotOk, b, job("true")));
  EXPECT_EQ(scheduler->cancel(b).state == JobState::kCancelled ||
                scheduler->wait_until_done(b, 20s).state == JobState::kCancelled,
            true);
  EXPECT_EQ(scheduler->wait_until_done(c, 20s).state, JobState::kCompleted);
  scheduler->cancel(a);
  EXPECT_FALSE(std::filesystem::exists(witness));
}

// Attached jobs live as long as this process: it holds them itself, and a held job
// cancelled never runs while its dependents see it ended.
TEST_F(LocalDependencyTest, AttachedJobsAreHeldInThisProcessAndACancelledOneNeverRuns) {
  const std::string witness = dir_ + "/b-ran";
  SchedulerOptions options;
  options.properties = {{"sandbox.root", dir_ + "/sandboxes"}};
  auto scheduler = open_scheduler("local://", options);
  const std::string a = scheduler->submit(job("sleep", {"30"}));
  const std::string b =
      scheduler->submit(after(DependencyCondition::kAfterOk, a, job("touch", {witness})));
  const std::string c = scheduler->submit(after(DependencyCondition::kAfterNotOk, b, job("true")));
  EXPECT_EQ(scheduler->status(b).state, JobState::kQueued);
  EXPECT_EQ(scheduler->cancel(b).state, JobState::kCancelled);
  EXPECT_EQ(scheduler->wait_until_done(c, 20s).state, JobState::kCompleted);
  scheduler->cancel(a);
  EXPECT_FALSE(std::filesystem::exists(witness));
}

}  // namespace
}  // namespace cuttle
