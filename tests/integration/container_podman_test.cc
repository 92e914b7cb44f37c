// The podman table's argv run for real against a rootful podman on this machine with the
// busybox test image: exit codes, the runtime's own failures, /work, hostile environment
// values through a shell line, no network, read-only mounts, kill by name, auto probe.
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuttle/error.h"
#include "cuttle/shell.h"
#include "internal/container_runtime.h"
#include "tests/integration/container_test_env.h"

namespace cuttle::detail {
namespace {

using container_test::Env;
using ::testing::HasSubstr;

class PodmanTest : public container_test::RuntimeTest {
 protected:
  PodmanTest() : RuntimeTest(ContainerRuntime::kPodman, "podman") {}
  std::string image() override { return Env::podman_image(); }

  // The container's line in `podman ps -a`, empty when it is gone.
  std::string listed(const std::string& name) {
    return runner_.run({"podman", "ps", "--all", "--quiet", "--filter", "name=^" + name + "$"})
        .stdout_text;
  }
};

TEST_F(PodmanTest, TheJobsExitCodePassesThrough) {
  CommandResult r = run(launch({"sh", "-c", "exit 7"}));
  EXPECT_EQ(r.exit_code, 7) << r.stderr_text;
  EXPECT_FALSE(table().runtime_failure(r.exit_code, r.stderr_text).has_value());
  CommandResult own126 = run(launch({"sh", "-c", "exit 126"}));
  EXPECT_EQ(own126.exit_code, 126);
  EXPECT_FALSE(table().runtime_failure(own126.exit_code, own126.stderr_text).has_value())
      << own126.stderr_text;
}

TEST_F(PodmanTest, AMissingImageIsTheRuntimesFailureNamingTheImage) {
  ContainerLaunch l = launch({"true"});
  l.image = "localhost/cuttle-no-such-image:latest";
  CommandResult r = run(l);
  EXPECT_EQ(r.exit_code, 125);
  auto failure = table().runtime_failure(r.exit_code, r.stderr_text);
  ASSERT_TRUE(failure.has_value()) << r.stderr_text;
  EXPECT_THAT(*failure, HasSubstr("localhost/cuttle-no-such-image"));
  EXPECT_THAT(*failure, HasSubstr("podman: "));
}

TEST_F(PodmanTest, AMissingCommandIsTheRuntimesFailure) {
  // Under --init, catatonit reports it (exit 1, "failed to exec pid1"), not podman (127).
  CommandResult r = run(launch({"/no/such/program"}));
  EXPECT_NE(r.exit_code, 0);
  auto failure = table().runtime_failure(r.exit_code, r.stderr_text);
  ASSERT_TRUE(failure.has_value()) << r.exit_code << ": " << r.stderr_text;
  EXPECT_THAT(*failure, HasSubstr("No such file or directory"));
}

TEST_F(PodmanTest, TheSandboxIsWorkAndTheWorkingDirectory) {
  std::filesystem::create_directories(dir_.path() + "/input");
  container_test::write_file(dir_.path() + "/input/a.txt", "A");
  container_test::write_file(dir_.path() + "/input/b.txt", "B");
  std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);
  CommandResult r = run(launch(
      {"sh", "-c", "pwd; mkdir -p /work/output; cd /work/input; ls > /work/output/workls.txt"}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "/work\n");
  EXPECT_EQ(container_test::read_file(dir_.path() + "/output/workls.txt"), "a.txt\nb.txt\n");
}

TEST_F(PodmanTest, HostileEnvironmentValuesArriveVerbatimThroughAShellLine) {
  const std::string victim = dir_.path() + "/pwned";
  const std::string value =
      "it's \"quoted\" $(touch /work/pwned) `touch " + victim + "` ; | & \\ \n second line $HOME *";
  ContainerLaunch l = launch({"sh", "-c", "printf '%s' \"$V\"; test ! -e /work/pwned"});
  l.environment = {{"V", value}};
  CommandResult r = run_in_shell(quote_command(table().run_argv(l)));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, value);
  EXPECT_FALSE(std::filesystem::exists(victim));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/pwned"));
}

TEST_F(PodmanTest, StdinReachesTheJob) {
  CommandOptions options;
  options.stdin_text = "from stdin\n";
  CommandResult r = run(launch({"cat"}), options);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "from stdin\n");
}

TEST_F(PodmanTest, NetworkIsOffByDefault) {
  CommandResult r = run(launch({"ls", "/sys/class/net"}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "lo\n");
}

TEST_F(PodmanTest, ExtraMountsAreReadOnly) {
  testing::TempDir data;
  container_test::write_file(data.path() + "/f.txt", "data");
  ContainerLaunch l = launch({"sh", "-c", "cat /data/f.txt; touch /data/new 2>/dev/null; echo $?"});
  l.options.mounts = {{data.path(), "/data"}};
  CommandResult r = run(l);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "data1\n");
  EXPECT_FALSE(std::filesystem::exists(data.path() + "/new"));
}

TEST_F(PodmanTest, TheUserIsApplied) {
  ContainerLaunch l = launch({"id", "-u"});
  l.options.user = "65534";
  CommandResult r = run(l);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "65534\n");
}

// Starts `sleep 300` in a container on another thread and waits until podman lists it.
std::future<CommandResult> start_sleeper(CommandRunner& runner,
                                         const std::vector<std::string>& argv,
                                         const std::function<std::string()>& listed) {
  auto running = std::async(std::launch::async, [&runner, argv] {
    CommandOptions options;
    options.timeout = std::chrono::seconds(120);
    return runner.run(argv, options);
  });
  for (int i = 0; i < 300 && listed().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return running;
}

TEST_F(PodmanTest, KillByNameStopsTheJobAndLeavesNoContainer) {
  ContainerLaunch l = launch({"sleep", "300"});
  auto running = start_sleeper(runner_, table().run_argv(l), [&] { return listed(l.name); });
  ASSERT_FALSE(listed(l.name).empty()) << "the container never appeared";
  CommandResult kill = runner_.run(table().kill_argv(l.name, "KILL"));
  EXPECT_EQ(kill.exit_code, 0) << kill.stderr_text;
  ASSERT_EQ(running.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(running.get().exit_code, 137);
  for (int i = 0; i < 100 && !listed(l.name).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(listed(l.name), "");
  EXPECT_EQ(runner_.run(table().remove_argv(l.name)).exit_code, 0) << "remove is idempotent";
}

TEST_F(PodmanTest, TermReachesTheJobThroughInit) {
  ContainerLaunch l = launch({"sleep", "300"});
  auto running = start_sleeper(runner_, table().run_argv(l), [&] { return listed(l.name); });
  ASSERT_FALSE(listed(l.name).empty()) << "the container never appeared";
  ASSERT_EQ(runner_.run(table().kill_argv(l.name, "TERM")).exit_code, 0);
  // Without --init, sleep as PID 1 ignores TERM and this would wait the full 300 s.
  ASSERT_EQ(running.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(running.get().exit_code, 143);
}

TEST_F(PodmanTest, RemoveTakesAwayAContainerWhoseClientWasKilled) {
  ContainerLaunch l = launch({"sleep", "300"});
  // A client killed with SIGKILL cannot take its container with it; remove_argv does.
  const std::string filter = quote("name=^" + l.name + "$");
  CommandResult killed = run_in_shell(
      quote_command(table().run_argv(l)) + " & pid=$!; i=0; while [ $i -lt 300 ] && [ -z \"$(" +
      "podman ps --quiet --filter " + filter + ")\" ]; do sleep 0.1; i=$((i+1)); done; " +
      "kill -KILL $pid; wait $pid; echo $?");
  ASSERT_EQ(killed.stdout_text, "137\n") << killed.stderr_text;
  EXPECT_NE(listed(l.name), "") << "the container went away with its client";
  CommandResult removed = runner_.run(table().remove_argv(l.name));
  EXPECT_EQ(removed.exit_code, 0) << removed.stderr_text;
  EXPECT_EQ(listed(l.name), "");
}

TEST_F(PodmanTest, AutoFindsARuntimeHereAndAnAbsentOneIsUnsupported) {
  EXPECT_EQ(resolve_container_runtime(runner_, ContainerRuntime::kAuto), ContainerRuntime::kPodman);
  EXPECT_EQ(resolve_container_runtime(runner_, ContainerRuntime::kPodman),
            ContainerRuntime::kPodman);
  if (container_test::on_path("apptainer")) GTEST_SKIP() << "apptainer is installed here";
  try {
    resolve_container_runtime(runner_, ContainerRuntime::kApptainer);
    FAIL() << "found an apptainer that is not installed";
  } catch (const Unsupported& e) {
    EXPECT_THAT(e.what(), HasSubstr("container.runtime"));
    EXPECT_THAT(e.what(), HasSubstr("apptainer"));
  }
}

}  // namespace
}  // namespace cuttle::detail
