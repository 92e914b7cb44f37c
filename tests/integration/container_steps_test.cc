// Jobs with steps in podman containers on local:// (attached and detached): two steps in
// two different images share the sandbox at /work, a host step between them sees the same
// files, a step's working directory inside the container, a step whose image does not
// exist is the runtime's failure naming that image, and a cancel in the middle of a
// container step leaves no container of any step.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuttle/cuttle.h"
#include "tests/integration/container_test_env.h"

namespace cuttle {
namespace {

using container_test::Env;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// The second image: the test image with a file that tells it apart, committed once per
// test process from a container of the first (no registry needed).
const std::string& second_image() {
  static const std::string image = [] {
    const std::string name = "localhost/cuttle-steps-second:latest";
    LocalRunner runner;
    const std::string container = "cuttle-steps-image-" + std::to_string(::getpid());
    CommandResult made =
        runner.run({"podman", "run", "--name", container, "--network", "none", Env::podman_image(),
                    "/bin/sh", "-c", "echo second > /etc/cuttle-image"});
    EXPECT_EQ(made.exit_code, 0) << made.stderr_text;
    CommandResult committed = runner.run({"podman", "commit", "--quiet", container, name});
    EXPECT_EQ(committed.exit_code, 0) << committed.stderr_text;
    runner.run({"podman", "rm", "--force", container});
    return name;
  }();
  return image;
}

JobStep sh(const std::string& line, const std::string& image) {
  JobStep s;
  s.executable = "/bin/sh";
  s.arguments = {"-c", line};
  s.container_image = image;
  return s;
}

class ContainerStepsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    CUTTLE_REQUIRE_CONTAINER_ENV("podman");
    // Sandboxes must be readable by the container's root.
    std::filesystem::permissions(root_.path(), std::filesystem::perms::all);
    scheduler_ = open_scheduler(
        "local://", {{{"mode", GetParam()}, {"sandbox.root", root_.path() + "/sandboxes"}}, {}});
  }

  JobDescription steps(std::vector<JobStep> list) {
    JobDescription d;
    d.steps = std::move(list);
    d.container.runtime = ContainerRuntime::kPodman;
    return d;
  }

  JobStatus run(const JobDescription& d) {
    return scheduler_->wait_until_done(scheduler_->submit(d), 120s);
  }

  // Containers of the job with this sandbox still known to podman (any step's).
  std::string leftover(const std::string& sandbox) {
    const std::string key = std::filesystem::path(sandbox).filename().string();
    CommandResult listed = LocalRunner().run(
        {"podman", "ps", "--all", "--format", "{{.Names}}", "--filter", "name=^cuttle-" + key});
    EXPECT_EQ(listed.exit_code, 0) << listed.stderr_text;
    return listed.stdout_text;
  }

  cuttle::testing::TempDir root_;
  std::shared_ptr<Scheduler> scheduler_;
};

TEST_P(ContainerStepsTest, StepsInTwoImagesShareTheSandboxAtWork) {
  const std::string back = root_.path() + "/result.txt";
  JobDescription d = steps({
      sh("mkdir -p /work/out; (cat /etc/cuttle-image 2>/dev/null || echo first) > "
         "/work/out/a.txt",
         Env::podman_image()),
      sh("cat /work/out/a.txt /etc/cuttle-image > /work/out/b.txt; pwd", second_image()),
      sh("cat out/b.txt >> out/c.txt; echo host >> out/c.txt", ""),
  });
  d.stage_out = {{"out/c.txt", back}};
  d.stdout_path = "job-out.txt";
  d.stage_out.push_back({"job-out.txt", root_.path() + "/stdout.txt"});
  JobStatus status = run(d);
  ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(status.step_exit_codes, (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(cuttle::testing::read_file(back), "first\nsecond\nhost\n");
  EXPECT_EQ(cuttle::testing::read_file(root_.path() + "/stdout.txt"), "/work\n");
}

TEST_P(ContainerStepsTest, AStepsWorkingDirectoryIsInsideItsContainer) {
  const std::string back = root_.path() + "/pwd.txt";
  JobStep make = sh("mkdir -p /work/sub", Env::podman_image());
  JobStep where = sh("pwd > here.txt", second_image());
  where.working_directory = "sub";
  JobDescription d = steps({make, where});
  d.stage_out = {{"sub/here.txt", back}};
  JobStatus status = run(d);
  ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(cuttle::testing::read_file(back), "/work/sub\n");
}

TEST_P(ContainerStepsTest, AStepWithoutExecutableRunsItsImagesOwnCommand) {
  // The test image's command is /bin/sh: it runs the script given as the step's stdin.
  JobStep own;
  own.container_image = Env::podman_image();
  own.stdin_path = "script.sh";
  JobDescription d =
      steps({sh("echo 'echo from the image >> /work/out.txt' > script.sh", ""), own});
  d.stage_out = {{"out.txt", root_.path() + "/own.txt"}};
  JobStatus status = run(d);
  ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(cuttle::testing::read_file(root_.path() + "/own.txt"), "from the image\n");
}

TEST_P(ContainerStepsTest, AStepWhoseImageIsMissingIsTheRuntimesFailureNamingIt) {
  JobDescription d =
      steps({sh("true", Env::podman_image()), sh("true", "localhost/cuttle-no-such-image:latest"),
             sh("echo never", Env::podman_image())});
  JobStatus status = run(d);
  EXPECT_EQ(status.state, JobState::kError) << status.reason;
  EXPECT_THAT(status.error.value_or(""), HasSubstr("localhost/cuttle-no-such-image:latest"));
  ASSERT_EQ(status.step_exit_codes.size(), 2u);
  EXPECT_EQ(status.step_exit_codes[0], 0);
}

TEST_P(ContainerStepsTest, CancelInAContainerStepLeavesNoContainer) {
  JobDescription d =
      steps({sh("true", Env::podman_image()), sh("touch /work/started; sleep 60", second_image()),
             sh("touch /work/ran", Env::podman_image())});
  const std::string id = scheduler_->submit(d);
  JobStatus running = scheduler_->wait_until_running(id, 60s);
  const std::string sandbox = running.scheduler_info["sandbox"];
  ASSERT_FALSE(sandbox.empty());
  for (int i = 0; i < 600 && !std::filesystem::exists(sandbox + "/started"); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(std::filesystem::exists(sandbox + "/started"));
  scheduler_->cancel(id);
  JobStatus status = scheduler_->wait_until_done(id, 60s);
  EXPECT_EQ(status.state, JobState::kCancelled) << status.reason;
  EXPECT_FALSE(std::filesystem::exists(sandbox + "/ran"));
  EXPECT_EQ(leftover(sandbox), "");
}

INSTANTIATE_TEST_SUITE_P(Local, ContainerStepsTest, ::testing::Values("attached", "detached"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace cuttle
