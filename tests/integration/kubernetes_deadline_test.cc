// kubernetes:// max_runtime and extend against the API-server emulator: the pod's wrapper
// holds the command to max_runtime from the command's own start (a pod that is slow to
// start, or whose inputs are staged in first, still gets all of it), an extension reaches
// the running command (or a pod that starts later), the Job's activeDeadlineSeconds is only
// a backstop, and every reader — the submitting object, a fresh one, one that re-reads
// after the Job is gone — reads the same Expired.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "cuttle/cuttle.h"
#include "tests/integration/kubernetes_fixture.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;

// The wrapper acts to the second; API times are whole seconds; a TERMed sleep ends at once.
constexpr auto kEarly = 1500ms;
// Ending after the deadline takes the TERM, podman's report of the exit and the rounding.
constexpr auto kLate = 3s;
constexpr const char* kWrapperDeadline = "max runtime reached; ended by the job's wrapper";

std::chrono::milliseconds ran_for(const JobStatus& status) {
  if (!status.started || !status.finished) return std::chrono::milliseconds::max();
  return std::chrono::duration_cast<std::chrono::milliseconds>(*status.finished - *status.started);
}

class KubernetesDeadlineTest : public KubernetesTest {
 protected:
  // The Job as the API server holds it; null once it is gone.
  nlohmann::json job_object(const std::string& id) {
    CommandResult r =
        kubectl({"get", "job", "cuttle-" + id, "-n", namespace_, "-o", "json"}, false);
    if (r.exit_code != 0) return nullptr;
    return nlohmann::json::parse(r.stdout_text);
  }

  // Reads `id` from a fresh scheduler object (as a later process would) and expects what
  // the submitting object saw.
  void expect_read_the_same(const std::string& id, const JobStatus& seen,
                            std::map<std::string, std::string> properties = {}) {
    const JobStatus again = open(std::move(properties))->status(id);
    EXPECT_EQ(again.state, seen.state) << again.reason;
    EXPECT_EQ(again.reason, seen.reason);
    EXPECT_EQ(again.exit_code, seen.exit_code);
    EXPECT_EQ(again.started, seen.started);
    EXPECT_EQ(again.finished, seen.finished);
  }
};

TEST_F(KubernetesDeadlineTest, SlowPodStartDoesNotEatIntoMaxRuntimeAndReadsExpiredEverywhere) {
  // The pod waits 6 s in ContainerCreating, longer than the job's max_runtime: counted
  // from the Job's start (activeDeadlineSeconds) nothing of it would be left.
  fault({{"slowStart", 1}, {"slowStartSeconds", 6}});
  // Every scheduler object that settles the job patches its TTL: the same for all.
  const std::map<std::string, std::string> short_ttl = {{"ttl.after.finished", "1s"}};
  auto scheduler = open(short_ttl);
  JobDescription d = shell("echo started; sleep 60");
  d.max_runtime = 4s;
  const auto submitted = Clock::now();
  const std::string id = scheduler->submit(d);
  const JobStatus status = scheduler->wait_until_done(id, 90s);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_EQ(status.reason.rfind(kWrapperDeadline, 0), 0u) << status.reason;
  EXPECT_EQ(status.exit_code, 143);
  EXPECT_GE(ran_for(status), 4s - kEarly) << status.reason;
  EXPECT_LE(ran_for(status), 4s + kLate) << status.reason;
  ASSERT_TRUE(status.finished.has_value());
  EXPECT_GE(*status.finished - submitted, 6s + 4s - kEarly) << "the start-up was counted";
  std::ifstream log(status.scheduler_info.at("stdout"));
  std::string first;
  std::getline(log, first);
  EXPECT_EQ(first, "started");
  expect_read_the_same(id, status, short_ttl);
  // Once the TTL removed the Job (and its pod), the record kept here says the same.
  for (int i = 0; i < 100 && !job_object(id).is_null(); ++i) std::this_thread::sleep_for(200ms);
  const nlohmann::json left = job_object(id);
  ASSERT_TRUE(left.is_null()) << "the TTL did not remove the Job: " << left["spec"].dump() << " "
                              << left["status"].dump();
  expect_read_the_same(id, status, short_ttl);
}

TEST_F(KubernetesDeadlineTest, ExtendReachesTheRunningCommand) {
  auto scheduler = open();
  JobDescription d = shell("sleep 60");
  d.max_runtime = 3s;
  const std::string id = scheduler->submit(d);
  ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  std::this_thread::sleep_for(1s);
  scheduler->extend(id, 4s);
  const nlohmann::json job = job_object(id);
  EXPECT_EQ(job["metadata"]["annotations"]["cuttle.dev/allocation"], "7");
  EXPECT_EQ(job["metadata"]["annotations"]["cuttle.dev/allocation-in-pod"], "7");
  // The backstop moved by as much: max_runtime + cancel.grace (2 s) + deadline.slack + 4.
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 3 + 2 + 600 + 4);
  const JobStatus status = scheduler->wait_until_done(id, 60s);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_EQ(status.reason.rfind(kWrapperDeadline, 0), 0u) << status.reason;
  EXPECT_GE(ran_for(status), 7s - kEarly) << "the extension did not reach the command";
  EXPECT_LE(ran_for(status), 7s + kLate);
  expect_read_the_same(id, status);
}

TEST_F(KubernetesDeadlineTest, ExtensionsFromTwoSchedulerObjectsAddUp) {
  auto first = open();
  auto second = open();
  JobDescription d = shell("sleep 60");
  d.max_runtime = 3s;
  const std::string id = first->submit(d);
  ASSERT_TRUE(first->wait_until_running(id, 60s).running());
  std::thread other([&] { second->extend(id, 2s); });
  first->extend(id, 2s);
  other.join();
  EXPECT_EQ(job_object(id)["metadata"]["annotations"]["cuttle.dev/allocation"], "7");
  const JobStatus status = first->wait_until_done(id, 60s);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_GE(ran_for(status), 7s - kEarly) << "an extension was lost";
  EXPECT_LE(ran_for(status), 7s + kLate);
}

TEST_F(KubernetesDeadlineTest, ExtendBeforeThePodRunsReachesItWhenItStarts) {
  fault({{"slowStart", 1}, {"slowStartSeconds", 4}});
  auto scheduler = open();
  JobDescription d = shell("sleep 60");
  d.max_runtime = 3s;
  const std::string id = scheduler->submit(d);
  EXPECT_EQ(scheduler->status(id).state, JobState::kQueued);
  scheduler->extend(id, 3s);
  EXPECT_EQ(job_object(id)["metadata"]["annotations"]["cuttle.dev/allocation-in-pod"], "3")
      << "no pod runs yet to be told";
  const JobStatus status = scheduler->wait_until_done(id, 60s);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_GE(ran_for(status), 6s - kEarly) << "the extension never reached the pod";
  EXPECT_LE(ran_for(status), 6s + kLate);
  EXPECT_EQ(job_object(id)["metadata"]["annotations"]["cuttle.dev/allocation-in-pod"], "6");
}

TEST_F(KubernetesDeadlineTest, ExtendOfAJobWithoutMaxRuntimeOrThatEndedIsRefusedSayingWhy) {
  auto scheduler = open();
  const std::string unlimited = scheduler->submit(shell("sleep 60"));
  ASSERT_TRUE(scheduler->wait_until_running(unlimited, 60s).running());
  try {
    scheduler->extend(unlimited, 5s);
    FAIL() << "a job without max_runtime was extended";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("no max_runtime"), std::string::npos) << e.what();
  }
  scheduler->cancel(unlimited);
  JobDescription d = shell("true");
  d.max_runtime = 30s;
  const std::string ended = scheduler->submit(d);
  ASSERT_EQ(scheduler->wait_until_done(ended, 60s).state, JobState::kCompleted);
  try {
    scheduler->extend(ended, 5s);
    FAIL() << "an ended job was extended";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("already Completed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(scheduler->extend(ended, 0s), InvalidArgument);
  JobDescription running = shell("sleep 60");
  running.max_runtime = 30s;
  const std::string id = scheduler->submit(running);
  ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  try {
    scheduler->extend(id, std::chrono::seconds(std::numeric_limits<std::int64_t>::max()));
    FAIL() << "an extension that overflows the allocation was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("would exceed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(job_object(id)["metadata"]["annotations"]["cuttle.dev/allocation"], "30");
  scheduler->cancel(id);
}

TEST_F(KubernetesDeadlineTest, TheJobsEnvironmentReachesTheCommandUnderTheWrappers) {
  // Names a careless wrapper would assign (and so change for the command it runs).
  const std::map<std::string, std::string> environment = {
      {"a", "alpha"}, {"c", "see"}, {"e", "ee"},  {"h", "aitch"}, {"i", "eye"},
      {"l", "el"},    {"m", "em"},  {"o", "oh"},  {"t", "tee"},   {"u", "you"},
      {"w", "dub"},   {"d", "dee"}, {"f", "eff"}, {"t0", "zero"}, {"ig", "ignore"}};
  const std::string script = "echo $a $c $e $h $i $l $m $o $t $u $w $d $f $t0 $ig";
  const std::string expected = "alpha see ee aitch eye el em oh tee you dub dee eff zero ignore";
  auto scheduler = open();
  JobDescription d = shell(script);
  d.environment = environment;
  d.max_runtime = 60s;
  JobDescription steps;
  JobStep first;
  first.executable = "/bin/true";
  JobStep last;
  last.executable = "/bin/sh";
  last.arguments = {"-c", script};
  steps.steps = {first, last};
  steps.environment = environment;
  steps.max_runtime = 60s;
  for (const JobDescription& job : {d, steps}) {
    const JobStatus status = scheduler->wait_until_done(scheduler->submit(job), 60s);
    ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
    std::ifstream log(status.scheduler_info.at("stdout"));
    std::string line;
    std::getline(log, line);
    EXPECT_EQ(line, expected);
  }
}

TEST_F(KubernetesDeadlineTest, CommandIgnoringTermIsKilledAGraceAfterTheDeadline) {
  auto scheduler = open();
  JobDescription d = shell("trap '' TERM; sleep 60; echo survived");
  d.max_runtime = 3s;
  const std::string id = scheduler->submit(d);
  const JobStatus status = scheduler->wait_until_done(id, 60s);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_EQ(status.exit_code, 137);
  EXPECT_NE(status.reason.find("SIGKILL"), std::string::npos) << status.reason;
  // cancel.grace is 2 s.
  EXPECT_GE(ran_for(status), 5s - kEarly);
  EXPECT_LE(ran_for(status), 5s + kLate);
  expect_read_the_same(id, status);
}

TEST_F(KubernetesDeadlineTest, BackstopEndsAPodThatNeverStartsAndSaysSo) {
  fault({{"slowStart", 1}, {"slowStartSeconds", 60}});
  const std::map<std::string, std::string> tight = {{"deadline.slack", "1s"}};
  auto scheduler = open(tight);
  JobDescription d = shell("sleep 60");
  d.max_runtime = 2s;
  const std::string id = scheduler->submit(d);
  EXPECT_EQ(job_object(id)["spec"]["activeDeadlineSeconds"], 2 + 2 + 1);
  const JobStatus status = scheduler->wait_until_done(id, 60s);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_NE(status.reason.find("backstop"), std::string::npos) << status.reason;
  EXPECT_NE(status.reason.find("activeDeadlineSeconds"), std::string::npos) << status.reason;
  EXPECT_FALSE(status.exit_code.has_value()) << "the command never ran";
  const JobStatus again = open(tight)->status(id);
  EXPECT_EQ(again.state, status.state);
  EXPECT_EQ(again.reason, status.reason);
}

TEST_F(KubernetesDeadlineTest, StagedJobGetsItsMaxRuntimeAfterStageInAndItsOutputsBack) {
  const std::string input = dir_.path() + "/input.txt";
  std::ofstream(input) << "payload\n";
  auto scheduler = open();
  JobDescription d = shell("cat input.txt > out.txt; sleep 60");
  d.stage_in = {{input, "input.txt"}};
  d.stage_out = {{"out.txt", dir_.path() + "/out.txt"}};
  d.max_runtime = 3s;
  const std::string id = scheduler->submit(d);
  const JobStatus status = scheduler->wait_until_done(id, 60s);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_EQ(status.reason.rfind(kWrapperDeadline, 0), 0u) << status.reason;
  // started is the pod's start, before the stage-in: at least max_runtime ran after it.
  EXPECT_GE(ran_for(status), 3s - kEarly);
  // The wrapper held the pod after the deadline: the outputs came back.
  std::ifstream out(dir_.path() + "/out.txt");
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "payload");
  expect_read_the_same(id, status);
}

TEST_F(KubernetesDeadlineTest, StepsShareOneMaxRuntimeFromTheFirstStepsStart) {
  auto scheduler = open();
  JobDescription d;
  JobStep first;
  first.executable = "/bin/sh";
  first.arguments = {"-c", "sleep 2"};
  JobStep second;
  second.executable = "/bin/sh";
  second.arguments = {"-c", "sleep 60"};
  JobStep never;
  never.executable = "/bin/true";
  d.steps = {first, second, never};
  d.max_runtime = 5s;
  const std::string id = scheduler->submit(d);
  const JobStatus status = scheduler->wait_until_done(id, 60s);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_EQ(status.step_exit_codes, (std::vector<int>{0, 143}));
  EXPECT_EQ(status.exit_code, 143);
  EXPECT_GE(ran_for(status), 5s - kEarly);
  EXPECT_LE(ran_for(status), 5s + kLate) << "each step got the whole allocation";
  expect_read_the_same(id, status);
}

}  // namespace
}  // namespace cuttle
