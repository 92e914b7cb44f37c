// The conformance tests of jobs with steps (JobDescription::steps, docs/steps.md): every
// adaptor that says it runs steps runs them in order in one sandbox, stops at the first
// failure unless a step ignores it, reports each step's exit code, and passes hostile
// arguments to each step byte for byte; an adaptor that cannot refuses naming `steps`.
// On a container target every step runs in the target's image (image_scheduler.h).
#include <filesystem>
#include <thread>

#include "tests/conformance/conformance.h"
#include "tests/conformance/suite_helpers.h"

namespace cuttle::conformance {
namespace {

using namespace std::chrono_literals;

using ::cuttle::testing::job_with_steps;
using ::cuttle::testing::step;

// "a\0b\0" -> {"a", "b"}.
std::vector<std::string> nul_separated(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\0') continue;
    parts.push_back(text.substr(start, i - start));
    start = i + 1;
  }
  return parts;
}

// What the tests below share, over the fixture's scheduler and scratch directory.
class StepsHarness {
 public:
  StepsHarness(Scheduler& scheduler, const Target& target, const std::string& scratch)
      : scheduler_(scheduler), target_(target), scratch_(scratch) {}

  JobStatus run(const JobDescription& d) {
    const std::string id = scheduler_.submit(d);
    JobStatus status = scheduler_.wait_until_done(id, target_.job_timeout);
    EXPECT_TRUE(status.done()) << "job " << id << " did not finish within the job timeout";
    return status;
  }

  // Runs `d` with the job's stdout and each named sandbox file staged out; returns the
  // status, and fills `files` (name -> content; "stdout" for the job's stdout).
  JobStatus run_collecting(JobDescription d, const std::vector<std::string>& names,
                           std::map<std::string, std::string>& files) {
    d.stdout_path = "job-out.txt";
    std::map<std::string, std::string> back{{"stdout", scratch_ + "/" + unique_name("out-")}};
    d.stage_out.push_back({"job-out.txt", back["stdout"]});
    for (const std::string& name : names) {
      back[name] = scratch_ + "/" + unique_name("file-");
      d.stage_out.push_back({name, back[name]});
    }
    JobStatus status = run(d);
    for (const auto& [name, path] : back) files[name] = read_file(path);
    return status;
  }

  // Whether `path` exists where jobs run (container targets share this machine's disk).
  bool exists_on_target(const std::string& path) {
    if (!target_.container_image.empty() || target_.scratch_dir.empty()) {
      return local_exists(path);
    }
    JobDescription probe;
    probe.executable = "test";
    probe.arguments = {"-e", path};
    return run(probe).state == JobState::kCompleted;
  }

 private:
  Scheduler& scheduler_;
  const Target& target_;
  const std::string& scratch_;
};

#define CUTTLE_REQUIRE_STEPS()                                                             \
  if (!scheduler_->capabilities().steps) GTEST_SKIP() << "the adaptor does not run steps"; \
  if (!target().supports_staging) GTEST_SKIP() << "the output comes back by stage-out";    \
  StepsHarness h(*scheduler_, target(), scratch_)

TEST_P(ConformanceTest, StepsAreRunOrRefusedNamingSteps) {
  if (scheduler_->capabilities().steps) {
    JobStatus status = scheduler_->wait_until_done(
        scheduler_->submit(job_with_steps({step("true"), step("true")})), target().job_timeout);
    EXPECT_EQ(status.state, JobState::kCompleted) << status.reason;
    EXPECT_EQ(status.step_exit_codes, (std::vector<int>{0, 0}));
    return;
  }
  try {
    scheduler_->submit(job_with_steps({step("true")}));
    FAIL() << "a job with steps was accepted by an adaptor that cannot run them";
  } catch (const Unsupported& e) {
    EXPECT_EQ(std::string(e.what()).rfind("steps", 0), 0u) << e.what();
  }
}

TEST_P(ConformanceTest, StepsRunInOrderAndShareTheSandbox) {
  CUTTLE_REQUIRE_STEPS();
  std::map<std::string, std::string> files;
  JobStatus status = h.run_collecting(
      job_with_steps({step("/bin/sh", {"-c", "echo first; echo written > shared.txt"}),
                      step("/bin/sh", {"-c", "echo second; cat shared.txt"}),
                      step("/bin/sh", {"-c", "echo third >> shared.txt"})}),
      {"shared.txt"}, files);
  ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_EQ(status.step_exit_codes, (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(files["stdout"], "first\nsecond\nwritten\n");
  EXPECT_EQ(files["shared.txt"], "written\nthird\n");
}

TEST_P(ConformanceTest, StepsTheFirstFailingStepStopsTheJobWithItsExitCode) {
  CUTTLE_REQUIRE_STEPS();
  std::map<std::string, std::string> files;
  JobStatus status = h.run_collecting(job_with_steps({step("/bin/sh", {"-c", "echo one"}),
                                                      step("/bin/sh", {"-c", "echo two; exit 4"}),
                                                      step("/bin/sh", {"-c", "echo three"})}),
                                      {}, files);
  EXPECT_EQ(status.state, JobState::kFailed) << status.reason;
  EXPECT_EQ(status.exit_code, 4);
  EXPECT_EQ(status.step_exit_codes, (std::vector<int>{0, 4}));
  EXPECT_EQ(files["stdout"], "one\ntwo\n");
}

TEST_P(ConformanceTest, StepsIgnoreErrorLetsTheStepsAfterItRun) {
  CUTTLE_REQUIRE_STEPS();
  std::map<std::string, std::string> files;
  JobDescription d = job_with_steps(
      {step("/bin/sh", {"-c", "echo one; exit 5"}), step("/bin/sh", {"-c", "echo two"})});
  d.steps[0].ignore_error = true;
  JobStatus status = h.run_collecting(d, {}, files);
  EXPECT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_EQ(status.step_exit_codes, (std::vector<int>{5, 0}));
  EXPECT_EQ(files["stdout"], "one\ntwo\n");
  // The last step decides when it fails too, ignore_error or not.
  d.steps[1] = step("/bin/sh", {"-c", "exit 6"});
  d.steps[1].ignore_error = true;
  status = h.run(d);
  EXPECT_EQ(status.state, JobState::kFailed) << status.reason;
  EXPECT_EQ(status.exit_code, 6);
  EXPECT_EQ(status.step_exit_codes, (std::vector<int>{5, 6}));
}

TEST_P(ConformanceTest, StepsHostileArgumentsAndEnvironmentReachEveryStepByteForByte) {
  CUTTLE_REQUIRE_STEPS();
  const std::string dir = target().scratch_dir.empty() ? scratch_ : target().scratch_dir;
  const std::string canary = dir + "/" + unique_name("canary-steps-");
  const std::vector<std::string> hostile = carried_hostile_strings(target(), canary);
  JobDescription d;
  for (int i = 0; i < 2; ++i) {
    JobStep s = step("printf", {"%s\\000"});
    s.arguments.insert(s.arguments.end(), hostile.begin(), hostile.end());
    s.stdout_path = "args" + std::to_string(i) + ".txt";
    d.steps.push_back(s);
  }
  JobStep env = step("/bin/sh", {"-c", "printf '%s\\000' \"$H0\" \"$H3\" \"$H4\""});
  env.environment = {{"H0", hostile.at(0)}, {"H3", hostile.at(3)}, {"H4", hostile.at(4)}};
  env.stdout_path = "env.txt";
  d.steps.push_back(env);
  std::map<std::string, std::string> files;
  JobStatus status = h.run_collecting(d, {"args0.txt", "args1.txt", "env.txt"}, files);
  ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(nul_separated(files["args0.txt"]), hostile);
  EXPECT_EQ(nul_separated(files["args1.txt"]), hostile);
  EXPECT_EQ(nul_separated(files["env.txt"]),
            (std::vector<std::string>{hostile.at(0), hostile.at(3), hostile.at(4)}));
  EXPECT_FALSE(h.exists_on_target(canary)) << "an argument was evaluated by a shell";
}

TEST_P(ConformanceTest, StepsCancelInTheMiddleOfAStepRunsNoFurtherStep) {
  CUTTLE_REQUIRE_STEPS();
  (void)h;
  JobDescription d = job_with_steps(
      {step("true"), step("sleep", {"60"}), step("/bin/sh", {"-c", "echo ran > ran.txt"})});
  const std::string id = scheduler_->submit(d);
  JobStatus running = scheduler_->wait_until_running(id, target().job_timeout);
  ASSERT_TRUE(running.running()) << to_string(running.state);
  std::this_thread::sleep_for(1s);
  const auto begin = std::chrono::steady_clock::now();
  scheduler_->cancel(id);
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(status.state, JobState::kCancelled) << status.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 30s);
  EXPECT_LE(status.step_exit_codes.size(), 2u);
  // Usually in the second step; a slow container start may still be in the first.
  if (status.step_exit_codes.size() == 2) {
    EXPECT_EQ(status.step_exit_codes[0], 0);
  }
}

}  // namespace
}  // namespace cuttle::conformance
