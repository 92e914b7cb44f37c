// Jobs with steps (JobDescription::steps): validation naming each step's field, JSON, the
// steps marker and its reader, and the wrapper run by the real /bin/sh — order, the shared
// sandbox, the stop at the first failure, ignore_error, per-step exit codes, paths, and a
// cancel or deadline in the middle of a step.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "cuttle/command_runner.h"
#include "cuttle/error.h"
#include "cuttle/file_system.h"
#include "cuttle/job_description_json.h"
#include "internal/container_runtime.h"
#include "internal/wrapper_script.h"
#include "tests/unit/test_util.h"

namespace cuttle::detail {
namespace {

using cuttle::testing::field_of;
using cuttle::testing::read_file;

using ::cuttle::testing::job_with_steps;
using ::cuttle::testing::step;

TEST(JobStepsValidation, AJobLevelCommandImageOrStdinIsRefusedNamingIt) {
  JobDescription d = job_with_steps({step("true")});
  EXPECT_EQ(field_of(d), "(valid)");
  d.executable = "true";
  EXPECT_EQ(field_of(d), "executable");
  d = job_with_steps({step("true")});
  d.arguments = {"x"};
  EXPECT_EQ(field_of(d), "arguments");
  d = job_with_steps({step("true")});
  d.container_image = "localhost/busybox:latest";
  EXPECT_EQ(field_of(d), "container_image");
  d = job_with_steps({step("true")});
  d.stdin_path = "in.txt";
  EXPECT_EQ(field_of(d), "stdin_path");
}

TEST(JobStepsValidation, EachStepIsValidatedLikeACommandNamingTheStep) {
  EXPECT_EQ(field_of(job_with_steps({step("true"), step("")})), "steps[1].executable");
  EXPECT_EQ(field_of(job_with_steps({step("true", {"ok", std::string("a\0b", 3)})})),
            "steps[0].arguments[1]");
  JobStep bad_env = step("true");
  bad_env.environment = {{"BAD NAME", "x"}};
  EXPECT_EQ(field_of(job_with_steps({step("true"), bad_env})), "steps[1].environment");
  JobStep nul_env = step("true");
  nul_env.environment = {{"OK", std::string("a\0b", 3)}};
  EXPECT_EQ(field_of(job_with_steps({nul_env})), "steps[0].environment.OK");
  JobStep bad_image = step("true");
  bad_image.container_image = "busybox; touch /tmp/x";
  EXPECT_EQ(field_of(job_with_steps({bad_image})), "steps[0].container_image");
  JobStep nul_path = step("true");
  nul_path.stdout_path = std::string("a\0b", 3);
  EXPECT_EQ(field_of(job_with_steps({nul_path})), "steps[0].stdout_path");
}

TEST(JobStepsValidation, AContainerStepWithoutExecutableRunsItsImagesOwnCommand) {
  JobStep own = step("");
  own.container_image = "localhost/busybox:latest";
  EXPECT_EQ(field_of(job_with_steps({own})), "(valid)");
  own.arguments = {"x"};
  EXPECT_EQ(field_of(job_with_steps({own})), "steps[0].arguments");
  JobDescription d = job_with_steps({step("true"), step("")});
  d.steps[1].container_image = "localhost/busybox:latest";
  d.container.runtime = ContainerRuntime::kPodman;
  EXPECT_EQ(step_container_commands(d, 1, "/s/c0123456789abcdef0123").run.back(),
            "localhost/busybox:latest");
  d.container.runtime = ContainerRuntime::kCharliecloud;
  try {
    step_container_commands(d, 1, "/s/c0123456789abcdef0123");
    FAIL() << "ch-run has no image command to run";
  } catch (const Unsupported& e) {
    EXPECT_EQ(std::string(e.what()).rfind("steps[1].executable", 0), 0u) << e.what();
  }
}

TEST(JobStepsValidation, ContainerOptionsNeedAStepWithAnImage) {
  JobDescription d = job_with_steps({step("true")});
  d.container.runtime = ContainerRuntime::kPodman;
  EXPECT_EQ(field_of(d), "container");
  d.steps.push_back(step("true"));
  d.steps.back().container_image = "localhost/busybox:latest";
  EXPECT_EQ(field_of(d), "(valid)");
  EXPECT_TRUE(d.uses_containers());
}

TEST(JobStepsJson, RoundTripsEveryStepField) {
  JobDescription d = job_with_steps({step("sh", {"-c", "echo '$(x)'\n`y`"}), step("cat")});
  d.steps[0].container_image = "localhost/busybox:latest";
  d.steps[0].environment = {{"A", "1"}};
  d.steps[0].working_directory = "sub";
  d.steps[0].stdout_path = "/work/out.txt";
  d.steps[1].stdin_path = "in.txt";
  d.steps[1].stderr_path = "err.txt";
  d.steps[1].ignore_error = true;
  EXPECT_EQ(job_description_from_json(to_json_text(d)), d);
}

TEST(JobStepsJson, ContainerOptionsRoundTripSoAStoredJobKeepsItsRuntime) {
  JobDescription d = job_with_steps({step("true")});
  d.steps[0].container_image = "localhost/busybox:latest";
  d.container.runtime = ContainerRuntime::kPodman;
  d.container.mounts = {{"/scratch/ref", "/ref"}};
  d.container.network = false;
  d.container.user = "1000:1000";
  EXPECT_EQ(job_description_from_json(to_json_text(d)), d);
  try {
    job_description_from_json(R"({"container": {"runtime": "podman", "net": true}})");
    FAIL() << "accepted";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "container.net");
  }
}

TEST(JobStepsJson, AnUnknownOrMistypedStepFieldIsNamed) {
  auto field = [](const std::string& text) -> std::string {
    try {
      job_description_from_json(text);
    } catch (const InvalidJobDescription& e) {
      return e.field();
    }
    return "(accepted)";
  };
  EXPECT_EQ(field(R"({"steps": [{"executable": "true"}, {"executable": "x", "image": "b"}]})"),
            "steps[1].image");
  EXPECT_EQ(field(R"({"steps": [{"executable": 3}]})"), "steps[0].executable");
  EXPECT_EQ(field(R"({"steps": [{"executable": "x", "ignore_error": "yes"}]})"),
            "steps[0].ignore_error");
  EXPECT_EQ(field(R"({"steps": {"executable": "x"}})"), "steps");
  EXPECT_EQ(field(R"({"steps": ["true"]})"), "steps[0]");
}

TEST(JobStepsMarker, OneCodePerCompleteLine) {
  EXPECT_EQ(parse_steps_marker("0\n3\n"), (std::vector<int>{0, 3}));
  EXPECT_EQ(parse_steps_marker("0\n1"), (std::vector<int>{0}));  // torn last line
  EXPECT_EQ(parse_steps_marker(""), std::vector<int>{});
  EXPECT_EQ(parse_steps_marker("0\nx\n256\n7\n"), (std::vector<int>{0, 7}));
}

TEST(JobStepsMarker, FinalStatusCarriesTheStepCodes) {
  MarkerState marker;
  marker.exists = true;
  marker.exit_code = 4;
  marker.step_exit_codes = {0, 4};
  JobStatus status = final_status_from_marker("j", marker);
  EXPECT_EQ(status.state, JobState::kFailed);
  EXPECT_EQ(status.step_exit_codes, (std::vector<int>{0, 4}));
}

TEST(JobStepsContainers, EachStepHasItsOwnContainerNamedAfterTheJobAndTheStep) {
  JobDescription d = job_with_steps({step("true"), step("ls", {"-l"})});
  d.steps[1].container_image = "localhost/busybox:latest";
  d.steps[1].working_directory = "sub";
  d.steps[1].environment = {{"B", "step"}};
  d.environment = {{"A", "job"}, {"B", "job"}};
  d.container.runtime = ContainerRuntime::kPodman;
  const ContainerCommands c = step_container_commands(d, 1, "/s/c0123456789abcdef0123");
  const std::string joined = [&] {
    std::string all;
    for (const auto& a : c.run) all += a + " ";
    return all;
  }();
  EXPECT_NE(joined.find("--name cuttle-c0123456789abcdef0123-step1 "), std::string::npos) << joined;
  EXPECT_NE(joined.find("--workdir /work/sub "), std::string::npos) << joined;
  EXPECT_NE(joined.find("--env A=job --env B=step "), std::string::npos) << joined;
  EXPECT_NE(joined.find("localhost/busybox:latest ls -l "), std::string::npos) << joined;
  EXPECT_EQ(c.remove.back(), "cuttle-c0123456789abcdef0123-step1");
}

TEST(JobStepsContainers, ANonUtf8ArgumentIsRefusedNamingTheStep) {
  JobDescription d = job_with_steps({step("true"), step("echo", {"\xff"})});
  d.steps[1].container_image = "localhost/busybox:latest";
  d.container.runtime = ContainerRuntime::kPodman;
  try {
    step_container_commands(d, 1, "/s/c0123456789abcdef0123");
    FAIL() << "accepted";
  } catch (const Unsupported& e) {
    EXPECT_EQ(std::string(e.what()).rfind("steps[1].arguments[0]", 0), 0u) << e.what();
  }
}

// The wrapper of a job with steps, run by /bin/sh in a temporary sandbox.
class StepsWrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_ = dir_.path() + "/sand box 'x' $(y)";
    std::filesystem::create_directories(sandbox_ + "/.cuttle");
  }
  std::string wrapper() const { return sandbox_ + "/.cuttle/wrapper.sh"; }
  void write(const JobDescription& d, std::chrono::seconds grace = std::chrono::seconds(1)) {
    ASSERT_EQ(field_of(d), "(valid)");
    std::ofstream(wrapper()) << render_wrapper(d, wrapper_paths(d, sandbox_, sandbox_), grace);
  }
  CommandResult run(const JobDescription& d) {
    write(d);
    return LocalRunner().run({"/bin/sh", wrapper()});
  }
  pid_t start(const JobDescription& d) {
    write(d);
    const std::string path = wrapper();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setsid();
      ::execl("/bin/sh", "sh", path.c_str(), static_cast<char*>(nullptr));
      ::_exit(126);
    }
    return pid;
  }
  MarkerState markers() {
    auto output = LocalRunner().run(read_markers_argv({sandbox_}));
    return parse_markers(output.stdout_text, {sandbox_}).at(sandbox_);
  }
  std::string file(const std::string& name) { return read_file(sandbox_ + "/" + name); }
  bool appears(const std::string& name) {
    for (int i = 0; i < 300; ++i) {
      if (std::filesystem::exists(sandbox_ + "/" + name)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  cuttle::testing::TempDir dir_;
  std::string sandbox_;
};

TEST_F(StepsWrapperTest, StepsRunInOrderInTheSandboxAndAppendToTheJobsOutput) {
  JobDescription d =
      job_with_steps({step("/bin/sh", {"-c", "echo one; echo a > shared.txt"}),
                      step("/bin/sh", {"-c", "echo two; cat shared.txt; echo e >&2"})});
  EXPECT_EQ(run(d).exit_code, 0);
  EXPECT_EQ(file("stdout.txt"), "one\ntwo\na\n");
  EXPECT_EQ(file("stderr.txt"), "e\n");
  MarkerState m = markers();
  EXPECT_EQ(m.exit_code, 0);
  EXPECT_EQ(m.step_exit_codes, (std::vector<int>{0, 0}));
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kCompleted);
}

TEST_F(StepsWrapperTest, TheFirstFailureStopsTheStepsAfterItAndIsTheJobsCode) {
  JobDescription d = job_with_steps(
      {step("true"), step("/bin/sh", {"-c", "exit 3"}), step("/bin/sh", {"-c", "touch ran"})});
  EXPECT_EQ(run(d).exit_code, 3);
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/ran"));
  MarkerState m = markers();
  EXPECT_EQ(m.step_exit_codes, (std::vector<int>{0, 3}));
  JobStatus status = final_status_from_marker("j", m);
  EXPECT_EQ(status.state, JobState::kFailed);
  EXPECT_EQ(status.exit_code, 3);
}

TEST_F(StepsWrapperTest, IgnoreErrorGoesOnAndTheLastStepDecides) {
  JobDescription d = job_with_steps({step("/bin/sh", {"-c", "exit 5"}), step("true")});
  d.steps[0].ignore_error = true;
  EXPECT_EQ(run(d).exit_code, 0);
  EXPECT_EQ(markers().step_exit_codes, (std::vector<int>{5, 0}));
  d.steps[1] = step("/bin/sh", {"-c", "exit 6"});
  d.steps[1].ignore_error = true;
  EXPECT_EQ(run(d).exit_code, 6);
  EXPECT_EQ(markers().step_exit_codes, (std::vector<int>{5, 6}));
}

TEST_F(StepsWrapperTest, AMissingExecutableIs127ForItsStep) {
  JobDescription d = job_with_steps({step("true"), step("/no/such/program")});
  EXPECT_EQ(run(d).exit_code, 127);
  EXPECT_EQ(markers().step_exit_codes, (std::vector<int>{0, 127}));
}

TEST_F(StepsWrapperTest, HostileArgumentsEnvironmentAndPathsReachEachStepUnchanged) {
  const std::string canary = dir_.path() + "/canary";
  const std::vector<std::string> hostile = {"it's",
                                            "\"q\"",
                                            "line\nbreak",
                                            "$(touch " + canary + ")",
                                            "`touch " + canary + "`",
                                            "; touch " + canary,
                                            "*",
                                            ""};
  JobStep first = step("printf", {"%s\\000"});
  first.arguments.insert(first.arguments.end(), hostile.begin(), hostile.end());
  first.stdout_path = "out 'a' $(b).txt";
  JobStep second = step("/bin/sh", {"-c", "printf '%s' \"$H\""});
  second.environment = {{"H", hostile[3] + hostile[4] + hostile[2]}};
  second.stdout_path = "env.txt";
  JobDescription d = job_with_steps({first, second});
  EXPECT_EQ(run(d).exit_code, 0);
  std::string expected;
  for (const auto& h : hostile) expected += h + std::string(1, '\0');
  EXPECT_EQ(file("out 'a' $(b).txt"), expected);
  EXPECT_EQ(file("env.txt"), hostile[3] + hostile[4] + hostile[2]);
  EXPECT_FALSE(std::filesystem::exists(canary));
}

TEST_F(StepsWrapperTest, StepPathsAreRelativeToTheStepsWorkingDirectory) {
  std::filesystem::create_directories(sandbox_ + "/sub");
  std::ofstream(sandbox_ + "/sub/in.txt") << "input\n";
  JobStep s = step("cat");
  s.working_directory = "sub";
  s.stdin_path = "in.txt";
  s.stdout_path = "copy.txt";
  s.environment = {{"STEP_ONLY", "1"}};
  JobStep t = step("/bin/sh", {"-c", "pwd; echo \"[$JOB][${STEP_ONLY:-}]\""});
  JobDescription d = job_with_steps({s, t});
  d.environment = {{"JOB", "j"}};
  EXPECT_EQ(run(d).exit_code, 0);
  EXPECT_EQ(file("sub/copy.txt"), "input\n");
  EXPECT_EQ(file("stdout.txt"), sandbox_ + "\n[j][]\n");
}

TEST_F(StepsWrapperTest, AStepsOwnOutputFilesGetTheirDirectory) {
  JobStep s = step("/bin/sh", {"-c", "echo out; echo err >&2"});
  s.stdout_path = "logs 'x'/deeper/step.out";
  s.stderr_path = "logs 'x'/step.err";
  EXPECT_EQ(run(job_with_steps({s})).exit_code, 0);
  EXPECT_EQ(file("logs 'x'/deeper/step.out"), "out\n");
  EXPECT_EQ(file("logs 'x'/step.err"), "err\n");
}

TEST_F(StepsWrapperTest, CancelMidStepStopsItAndRunsNoFurtherStep) {
  JobDescription d =
      job_with_steps({step("true"), step("/bin/sh", {"-c", "touch started; sleep 30"}),
                      step("/bin/sh", {"-c", "touch ran"})});
  const pid_t pid = start(d);
  ASSERT_TRUE(appears("started"));
  std::ofstream(sandbox_ + "/.cuttle/cancelled");
  ::kill(-pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/ran"));
  MarkerState m = markers();
  EXPECT_EQ(m.cause, EndCause::kCancel);
  EXPECT_EQ(m.step_exit_codes.size(), 2u);
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kCancelled);
}

TEST_F(StepsWrapperTest, TheDeadlineCoversAllStepsAndStopsTheOneRunning) {
  JobDescription d = job_with_steps(
      {step("sleep", {"1"}), step("sleep", {"30"}), step("/bin/sh", {"-c", "touch ran"})});
  d.max_runtime = std::chrono::seconds(2);
  const auto begin = std::chrono::steady_clock::now();
  const pid_t pid = start(d);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(10));
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/ran"));
  MarkerState m = markers();
  EXPECT_EQ(m.cause, EndCause::kDeadline);
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kExpired);
  EXPECT_EQ(m.step_exit_codes.size(), 2u);
  EXPECT_EQ(m.step_exit_codes[0], 0);
}

TEST_F(StepsWrapperTest, ExtendInTheMiddleOfAStepMovesTheDeadlineForAllTheRest) {
  JobDescription d = job_with_steps({step("sleep", {"1"}), step("sleep", {"2"}), step("true")});
  d.max_runtime = std::chrono::seconds(2);
  write(d);
  LocalFileSystem files;
  files.write_file(sandbox_ + "/.cuttle/allocation", allocation_marker(*d.max_runtime), 0644);
  const pid_t pid = start(d);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // in the second step
  EXPECT_EQ(extend_allocation(files, sandbox_, std::chrono::seconds(5)), std::chrono::seconds(7));
  int status = 0;
  ::waitpid(pid, &status, 0);
  MarkerState m = markers();
  EXPECT_EQ(m.cause, EndCause::kExited);
  EXPECT_EQ(m.exit_code, 0);
  EXPECT_EQ(m.step_exit_codes, (std::vector<int>{0, 0, 0}));
}

TEST_F(StepsWrapperTest, AHostStepAfterAContainerStepClearsTheContainerRecord) {
  // The record's container marker names the step that decided the exit code: a host step
  // failing after a container step is the job's own failure, not the runtime's.
  JobDescription d =
      job_with_steps({step("true"), step("/bin/sh", {"-c", "echo 'Error: x' >&2; exit 125"})});
  d.steps[0].container_image = "localhost/busybox:latest";
  d.container.runtime = ContainerRuntime::kPodman;
  const std::string keyed = dir_.path() + "/c0123456789abcdef0123";  // names the containers
  const std::string script =
      render_wrapper(d, wrapper_paths(d, keyed, keyed), std::chrono::seconds(1));
  EXPECT_NE(script.find(": > '" + keyed + "/.cuttle/container'"), std::string::npos);
  MarkerState m;
  m.exists = true;
  m.exit_code = 125;
  m.container = "";
  m.container_error = "Error: x";
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kFailed);
}

}  // namespace
}  // namespace cuttle::detail
