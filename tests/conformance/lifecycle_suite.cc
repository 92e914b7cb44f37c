// The lifecycle part of the conformance suite: how a job ends must not depend on who
// watches. A job expired by its time allocation, cancelled through Cuttle, or killed from
// outside reads the same final state from a fresh scheduler object (as from a fresh
// process), before and after the scheduler forgets it; the wrapper enforces max_runtime
// and escalates a cancel with no scheduler object alive; and the finish step (stage-out
// failure, cleanup on-success, the staged_out record) means the same on every adaptor.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/conformance/conformance.h"
#include "tests/conformance/suite_helpers.h"

namespace cuttle::conformance {
namespace {

using namespace std::chrono_literals;

// How far from its deadline a job may end: the wrapper acts to the second; a TERMed
// `sleep` dies at once, and start/end times come from marker mtimes. Ending late may take
// longer where the runtime is slow to report (Target::late_slack).
constexpr auto kDeadlineSlack = 1500ms;

std::chrono::milliseconds ran_for(const JobStatus& status) {
  if (!status.started || !status.finished) return std::chrono::milliseconds::max();
  return std::chrono::duration_cast<std::chrono::milliseconds>(*status.finished - *status.started);
}

class Lifecycle {
 public:
  explicit Lifecycle(const Target& target, std::function<std::shared_ptr<Scheduler>()> open)
      : target_(target), open_(std::move(open)) {}

  // Checks that `id` reads `expected` (state, exit code, reason) from a fresh scheduler
  // object now and, when the scheduler forgets finished jobs, again after it did.
  // Asks a fresh scheduler object every second, as a process started later would, until
  // the job is done or `timeout` passed; no object of ours watches in between.
  JobStatus poll_fresh_until_done(const std::string& id, std::chrono::milliseconds timeout) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    JobStatus status;
    do {
      std::this_thread::sleep_for(1s);
      status = open_()->status(id);
    } while (!status.done() && std::chrono::steady_clock::now() < give_up);
    return status;
  }

  void expect_same_everywhere(const std::string& id, const JobStatus& expected) {
    if (!target_.detached) return;  // jobs do not outlive their scheduler object
    expect_same(open_()->status(id), expected, "a fresh scheduler object");
    if (target_.forgotten_after.count() > 0) {
      std::this_thread::sleep_for(target_.forgotten_after);
      expect_same(open_()->status(id), expected, "after the scheduler forgot the job");
    }
  }

 private:
  static void expect_same(const JobStatus& seen, const JobStatus& expected, const char* when) {
    EXPECT_EQ(seen.state, expected.state)
        << when << ": " << to_string(seen.state) << " (" << seen.reason << ") after "
        << to_string(expected.state) << " (" << expected.reason << ")";
    EXPECT_EQ(seen.exit_code, expected.exit_code) << when;
    EXPECT_EQ(seen.reason, expected.reason) << when;
  }

  const Target& target_;
  std::function<std::shared_ptr<Scheduler>()> open_;
};

TEST_P(ConformanceTest, ExpiredJobReadsTheSameEverywhereAndEndsOnTime) {
  Lifecycle lifecycle(target(), [this] { return open(); });
  JobDescription d = job("sleep", {"60"});
  d.max_runtime = 5s;
  const std::string id = scheduler_->submit(d);
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_GE(ran_for(status), 5s - kDeadlineSlack) << status.reason;
  EXPECT_LE(ran_for(status), 5s + target().late_slack) << status.reason;
  lifecycle.expect_same_everywhere(id, status);
}

TEST_P(ConformanceTest, MaxRuntimeHoldsWithNoSchedulerObjectWatching) {
  if (!target().detached) GTEST_SKIP() << "jobs do not survive their scheduler object";
  JobDescription d = job("sleep", {"60"});
  d.max_runtime = 5s;
  std::string id;
  {
    auto submitter = open();
    id = submitter->submit(d);
  }
  scheduler_.reset();  // nobody of ours watches from here on
  Lifecycle lifecycle(target(), [this] { return open(); });
  const JobStatus status = lifecycle.poll_fresh_until_done(id, target().job_timeout);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_GE(ran_for(status), 5s - kDeadlineSlack);
  EXPECT_LE(ran_for(status), 5s + target().late_slack)
      << "the job ran " << ran_for(status).count() << " ms: the deadline was not held";
  lifecycle.expect_same_everywhere(id, status);
}

TEST_P(ConformanceTest, CancelledJobReadsTheSameEverywhere) {
  const std::string id = scheduler_->submit(job("sleep", {"60"}));
  scheduler_->wait_until_running(id, target().job_timeout);
  scheduler_->cancel(id);
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  ASSERT_EQ(status.state, JobState::kCancelled) << status.reason;
  Lifecycle(target(), [this] { return open(); }).expect_same_everywhere(id, status);
}

TEST_P(ConformanceTest, CancelEscalatesToKillWithNoSchedulerObjectWatching) {
  if (!target().detached) GTEST_SKIP() << "jobs do not survive their scheduler object";
  std::string id;
  {
    auto owner = open();
    // A job that ignores TERM: only the escalation to KILL ends it.
    id = owner->submit(job("/bin/sh", {"-c", "trap '' TERM; sleep 60"}));
    owner->wait_until_running(id, target().job_timeout);
    std::this_thread::sleep_for(500ms);  // the trap is set
    owner->cancel(id);
  }
  scheduler_.reset();
  Lifecycle lifecycle(target(), [this] { return open(); });
  const JobStatus status = lifecycle.poll_fresh_until_done(id, target().cancel_grace + 20s);
  ASSERT_EQ(status.state, JobState::kCancelled) << status.reason;
  EXPECT_LT(ran_for(status), 30s) << "the TERM-ignoring job was not KILLed after the grace";
  lifecycle.expect_same_everywhere(id, status);
}

TEST_P(ConformanceTest, JobKilledFromOutsideReadsTheSameEverywhere) {
  if (!target().kill_from_outside) GTEST_SKIP() << "no way to kill a job from outside";
  const std::string id = scheduler_->submit(job("sleep", {"60"}));
  JobStatus running = scheduler_->wait_until_running(id, target().job_timeout);
  // The wrapper traps TERM before it writes its pid marker: a kill before that would find
  // a job script (or a loaded node) that has not yet started the witness.
  auto sandbox = running.scheduler_info.find("sandbox");
  if (target().scratch_dir.empty() && sandbox != running.scheduler_info.end()) {
    ASSERT_TRUE(appears_within(sandbox->second + "/.cuttle/pid", target().job_timeout));
  } else {
    std::this_thread::sleep_for(1s);
  }
  target().kill_from_outside(scheduler_->status(id));
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  // A TERM the job's wrapper did not expect from Cuttle is someone's cancel.
  EXPECT_EQ(status.state, JobState::kCancelled) << status.reason;
  Lifecycle(target(), [this] { return open(); }).expect_same_everywhere(id, status);
  (void)running;
}

TEST_P(ConformanceTest, ExtendMovesTheDeadline) {
  if (!target().supports_extend) GTEST_SKIP() << "the target cannot extend a job";
  JobDescription d = job("sleep", {"60"});
  d.max_runtime = 4s;
  const std::string id = scheduler_->submit(d);
  scheduler_->wait_until_running(id, target().job_timeout);
  // The deadline a status reports is the one the job is held to, not a scheduler's
  // backstop behind it (Slurm's limit is max_runtime + cancel.grace + 60 s).
  const JobStatus extended = scheduler_->extend(id, 4s);
  if (extended.deadline && extended.started) {
    EXPECT_LE(*extended.deadline - *extended.started, 8s + target().late_slack + 1s);
    EXPECT_GE(*extended.deadline - *extended.started, 8s - kDeadlineSlack - 1s);
  }
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  ASSERT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_GE(ran_for(status), 8s - kDeadlineSlack);
  EXPECT_LE(ran_for(status), 8s + target().late_slack);
}

TEST_P(ConformanceTest, CompletedJobKeepsNoStaleReason) {
  const std::string id = scheduler_->submit(job("true"));
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(status.scheduler_info.count("reason"), 0u) << status.scheduler_info.at("reason");
}

#define CUTTLE_REQUIRE_STAGING() \
  if (!target().supports_staging) GTEST_SKIP() << "the target does not stage files"

TEST_P(ConformanceTest, StageOutFailureIsErrorWithTheSameReasonEverywhere) {
  CUTTLE_REQUIRE_STAGING();
  JobDescription d = job("true");
  d.stage_out.push_back({"never-written.txt", scratch_ + "/never.txt"});
  const std::string id = scheduler_->submit(d);
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(status.state, JobState::kError);
  EXPECT_EQ(status.reason.rfind("stage-out failed: ", 0), 0u) << status.reason;
  EXPECT_NE(status.reason.find("never-written.txt"), std::string::npos) << status.reason;
  EXPECT_EQ(status.scheduler_info.count("stage_out_problems"), 1u);
  Lifecycle(target(), [this] { return open(); }).expect_same_everywhere(id, status);
}

TEST_P(ConformanceTest, StageOutFailureOfAFailedJobKeepsFailed) {
  CUTTLE_REQUIRE_STAGING();
  JobDescription d = job("/bin/sh", {"-c", "exit 3"});
  d.stage_out.push_back({"never-written.txt", scratch_ + "/never.txt"});
  JobStatus status = scheduler_->wait_until_done(scheduler_->submit(d), target().job_timeout);
  EXPECT_EQ(status.state, JobState::kFailed);
  EXPECT_EQ(status.exit_code, std::optional<int>(3));
  EXPECT_NE(status.reason.find("stage-out failed: "), std::string::npos) << status.reason;
}

// The sandboxes of every target in this suite are on this machine's disk.
TEST_P(ConformanceTest, CleanupOnSuccessRemovesOnlyCompletedSandboxes) {
  if (!target().scratch_dir.empty()) GTEST_SKIP() << "the target's sandboxes are elsewhere";
  if (!target().supports_staging || !target().shared_files) {
    GTEST_SKIP() << "no sandbox outlives the job here (or no staging)";
  }
  auto scheduler = open({{"cleanup", "on-success"}});
  JobDescription ok = job("true");
  ok.stage_out.push_back({"never-written.txt", scratch_ + "/never.txt"});
  JobDescription good = job("/bin/sh", {"-c", "echo hi > out.txt"});
  good.stage_out.push_back({"out.txt", scratch_ + "/out.txt"});
  JobDescription failed = job("/bin/sh", {"-c", "echo hi > out.txt; exit 2"});
  failed.stage_out.push_back({"out.txt", scratch_ + "/failed-out.txt"});
  const JobStatus completed =
      scheduler->wait_until_done(scheduler->submit(good), target().job_timeout);
  const JobStatus not_completed =
      scheduler->wait_until_done(scheduler->submit(failed), target().job_timeout);
  const JobStatus staging_failed =
      scheduler->wait_until_done(scheduler->submit(ok), target().job_timeout);
  ASSERT_EQ(completed.state, JobState::kCompleted) << completed.reason;
  ASSERT_EQ(not_completed.state, JobState::kFailed) << not_completed.reason;
  ASSERT_EQ(staging_failed.state, JobState::kError) << staging_failed.reason;
  for (const JobStatus* s : {&completed, &not_completed, &staging_failed}) {
    ASSERT_EQ(s->scheduler_info.count("sandbox"), 1u) << "no sandbox reported";
  }
  // Cleaned: the job's files are gone; its record and its stdout/stderr (not staged out)
  // stay, so the same final state and the output can be read later.
  const std::string cleaned = completed.scheduler_info.at("sandbox");
  EXPECT_TRUE(gone_within(cleaned + "/out.txt", std::chrono::seconds(10)));
  std::error_code absent;  // attached jobs keep no record: their sandbox goes entirely
  for (const auto& entry : std::filesystem::directory_iterator(cleaned, absent)) {
    const std::string name = entry.path().filename();
    EXPECT_TRUE(name == ".cuttle" || name == "stdout.txt" || name == "stderr.txt")
        << name << " survived the cleanup";
  }
  EXPECT_TRUE(local_exists(not_completed.scheduler_info.at("sandbox") + "/out.txt"));
  EXPECT_TRUE(local_exists(staging_failed.scheduler_info.at("sandbox")));
  EXPECT_EQ(read_file(scratch_ + "/out.txt"), "hi\n");
  if (target().detached) {
    JobStatus again = open()->status(completed.id);
    EXPECT_EQ(again.state, JobState::kCompleted) << again.reason;
  }
}

TEST_P(ConformanceTest, CleanupAlwaysKeepsTheOutputThatWasNotStagedOut) {
  if (!target().scratch_dir.empty()) GTEST_SKIP() << "the target's sandboxes are elsewhere";
  if (!target().detached) GTEST_SKIP() << "attached jobs write stdout to the caller";
  if (!target().supports_staging || !target().shared_files) {
    GTEST_SKIP() << "no sandbox outlives the job here (or no staging)";
  }
  auto scheduler = open({{"cleanup", "always"}});
  JobDescription d = job("/bin/sh", {"-c", "echo out; echo err >&2; echo data > data.txt; exit 3"});
  JobStatus status = scheduler->wait_until_done(scheduler->submit(d), target().job_timeout);
  ASSERT_EQ(status.state, JobState::kFailed) << status.reason;
  const std::string sandbox = status.scheduler_info.at("sandbox");
  EXPECT_TRUE(gone_within(sandbox + "/data.txt", std::chrono::seconds(10)));
  EXPECT_EQ(read_file(sandbox + "/stdout.txt"), "out\n");
  EXPECT_EQ(read_file(sandbox + "/stderr.txt"), "err\n");
  // Staged out: the copy is the output, the sandbox keeps none.
  JobDescription staged = job("/bin/sh", {"-c", "echo out"});
  staged.stage_out.push_back({"stdout.txt", scratch_ + "/stdout-copy.txt"});
  JobStatus copied = scheduler->wait_until_done(scheduler->submit(staged), target().job_timeout);
  ASSERT_EQ(copied.state, JobState::kCompleted) << copied.reason;
  EXPECT_EQ(read_file(scratch_ + "/stdout-copy.txt"), "out\n");
  EXPECT_TRUE(
      gone_within(copied.scheduler_info.at("sandbox") + "/stdout.txt", std::chrono::seconds(10)));
}

TEST_P(ConformanceTest, ReattachingNeverStagesOutTwice) {
  if (!target().detached) GTEST_SKIP() << "jobs do not survive their scheduler object";
  CUTTLE_REQUIRE_STAGING();
  const std::string out = scratch_ + "/once.txt";
  JobDescription d = job("/bin/sh", {"-c", "echo once > out.txt"});
  d.stage_out.push_back({"out.txt", out});
  const std::string id = scheduler_->submit(d);
  JobStatus first = scheduler_->wait_until_done(id, target().job_timeout);
  ASSERT_EQ(first.state, JobState::kCompleted) << first.reason;
  ASSERT_EQ(read_file(out), "once\n");
  std::filesystem::remove(out);
  scheduler_.reset();
  JobStatus again = open()->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(again.state, JobState::kCompleted) << again.reason;
  EXPECT_FALSE(local_exists(out)) << "a second process staged the output out again";
}

}  // namespace

void terminate_process_group(const JobStatus& status) {
  auto sandbox = status.scheduler_info.find("sandbox");
  ASSERT_NE(sandbox, status.scheduler_info.end()) << "the status names no sandbox";
  const std::string pid = read_file(sandbox->second + "/.cuttle/pid");
  ASSERT_FALSE(pid.empty()) << "the wrapper recorded no pid";
  ASSERT_EQ(::kill(-std::stoi(pid), SIGTERM), 0) << "kill -TERM -" << pid;
}

void run_outside(const std::vector<std::string>& argv) {
  const CommandResult result = LocalRunner().run(argv);
  ASSERT_EQ(result.exit_code, 0) << argv[0] << ": " << result.stderr_text;
}

}  // namespace cuttle::conformance
