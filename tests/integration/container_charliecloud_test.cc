// The Charliecloud table's argv run for real with ch-run 0.31 and the busybox directory
// image: exit codes, its own failures, /work, hostile environment values through a shell
// line, the user mapping, and a signal to ch-run reaching the job (it execs).
#include <signal.h>

#include <chrono>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuttle/shell.h"
#include "internal/container_runtime.h"
#include "tests/integration/container_test_env.h"

namespace cuttle::detail {
namespace {

using container_test::Env;
using ::testing::HasSubstr;

class CharliecloudTest : public container_test::RuntimeTest {
 protected:
  CharliecloudTest() : RuntimeTest(ContainerRuntime::kCharliecloud, "ch-run") {}
  std::string image() override { return Env::get().rootfs(); }
};

TEST_F(CharliecloudTest, TheJobsExitCodePassesThrough) {
  CommandResult r = run(launch({"sh", "-c", "exit 7"}));
  EXPECT_EQ(r.exit_code, 7) << r.stderr_text;
  EXPECT_FALSE(table().runtime_failure(r.exit_code, r.stderr_text).has_value());
  CommandResult one = run(launch({"sh", "-c", "echo failing >&2; exit 1"}));
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_FALSE(table().runtime_failure(one.exit_code, one.stderr_text).has_value());
}

TEST_F(CharliecloudTest, AMissingImageIsTheRuntimesFailureNamingIt) {
  ContainerLaunch l = launch({"true"});
  l.image = dir_.path() + "/no-such-image";
  CommandResult r = run(l);
  auto failure = table().runtime_failure(r.exit_code, r.stderr_text);
  ASSERT_TRUE(failure.has_value()) << r.exit_code << " " << r.stderr_text;
  EXPECT_THAT(*failure, HasSubstr("no-such-image"));
}

TEST_F(CharliecloudTest, TheSandboxIsWorkAndTheWorkingDirectory) {
  std::filesystem::create_directories(dir_.path() + "/input");
  container_test::write_file(dir_.path() + "/input/a.txt", "A");
  CommandResult r = run(launch(
      {"sh", "-c", "pwd; mkdir -p /work/output; cd /work/input; ls > /work/output/workls.txt"}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "/work\n");
  EXPECT_EQ(container_test::read_file(dir_.path() + "/output/workls.txt"), "a.txt\n");
}

TEST_F(CharliecloudTest, HostileEnvironmentValuesArriveVerbatimThroughAShellLine) {
  const std::string value = "it's \"q\" $(touch /work/pwned) `id` ${HOME} \n line2 \\ *";
  ContainerLaunch l = launch({"sh", "-c", "printf '%s' \"$V\""});
  l.environment = {{"V", value}};
  CommandResult r = run_in_shell(quote_command(table().run_argv(l)));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, value);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/pwned"));
}

TEST_F(CharliecloudTest, ANumericUserIsMapped) {
  ContainerLaunch l = launch({"id", "-u"});
  l.options.user = "0:0";
  CommandResult r = run(l);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "0\n");
}

TEST_F(CharliecloudTest, ASignalToChRunReachesTheJob) {
  // ch-run execs the job: the process Cuttle started IS the job, so no kill by name.
  const std::string line = quote_command(table().run_argv(launch({"sleep", "300"}))) +
                           " & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo $?";
  CommandResult r = run_in_shell(line);
  EXPECT_EQ(r.stdout_text, std::to_string(128 + SIGTERM) + "\n") << r.stderr_text;
  EXPECT_TRUE(table().kill_argv("x", "TERM").empty());
}

}  // namespace
}  // namespace cuttle::detail
