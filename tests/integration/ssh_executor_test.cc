// The remote executor (ssh.executor=auto) against the real sshd of tests/env/sshd.sh: the
// login shell's .bashrc runs once per session, not per command; an executor killed on the
// host is replaced; a command that times out is killed and does not wedge the executor.
// Where a site refuses the executor, the host falls back to one exec per command.
// Whichever way CUTTLE_TEST_SSH_EXECUTOR is set, these tests choose the mode themselves.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adaptors/ssh/remote.h"
#include "cuttle/error.h"
#include "tests/integration/ssh_test_env.h"
#include "tests/unit/free_port.h"

namespace cuttle {
namespace {

using namespace std::string_literals;

detail::Remote open(const std::string& port, const std::string& executor) {
  auto values = ssh_test::properties();
  values["ssh.executor"] = executor;
  return detail::open_remote(
      Location::parse("ssh://" + ssh_test::user() + "@" + ssh_test::host() + ":" + port),
      Properties(detail::ssh_property_descriptors(), values), ssh_test::credential());
}

std::size_t bashrc_runs() {
  std::ifstream in(ssh_test::env("CUTTLE_TEST_SSH_BASHRC_RUNS"));
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

// Runs `count` commands on a session of the bashrc server; returns how often .bashrc ran.
std::size_t bashrc_runs_for(int count, const std::string& executor) {
  auto remote = open(ssh_test::env("CUTTLE_TEST_SSH_BASHRC_PORT"), executor);
  const std::size_t before = bashrc_runs();
  for (int i = 0; i < count; ++i) {
    CommandResult r = remote.runner->run({"printf", "%s", std::to_string(i)});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    EXPECT_EQ(r.stdout_text, std::to_string(i));
  }
  return bashrc_runs() - before;
}

class SshExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { CUTTLE_REQUIRE_SSHD(); }
};

TEST_F(SshExecutorTest, BashrcRunsOncePerSessionNotPerCommand) {
  if (ssh_test::env("CUTTLE_TEST_SSH_BASHRC_PORT").empty()) {
    GTEST_SKIP() << "tests/env/sshd.sh predates the bashrc server: run it again";
  }
  EXPECT_EQ(bashrc_runs_for(10, "auto"), 1u);
  // The same commands with one exec each: the .bashrc runs for every one of them.
  EXPECT_EQ(bashrc_runs_for(10, "off"), 10u);
}

// The executor's pid: the parent of the command it runs.
long executor_pid(CommandRunner& runner) {
  CommandResult r = runner.run({"sh", "-c", "echo $PPID"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  return std::stol(r.stdout_text);
}

TEST_F(SshExecutorTest, ExecutorKilledOnTheHostIsReplacedAndTheNextCommandRuns) {
  auto remote = open(ssh_test::port(), "auto");
  const long first = executor_pid(*remote.runner);
  EXPECT_EQ(executor_pid(*remote.runner), first) << "one executor serves sequential commands";
  // The sshd runs on this machine: kill the executor the way an OOM killer or an admin
  // on the login node would.
  ASSERT_EQ(::kill(static_cast<pid_t>(first), SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CommandResult r = remote.runner->run({"printf", "%s", "still works"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "still works");
  const long second = executor_pid(*remote.runner);
  EXPECT_NE(second, first);
  EXPECT_NE(::kill(static_cast<pid_t>(first), 0), 0) << "the killed executor is gone";
}

TEST_F(SshExecutorTest, TimedOutCommandIsKilledAndTheExecutorServesTheNext) {
  auto remote = open(ssh_test::port(), "auto");
  const long executor = executor_pid(*remote.runner);
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(remote.runner->run({"sh", "-c",
                                   "echo $$ >/tmp/cuttle-executor-sleep.pid; "
                                   "exec sleep 30"},
                                  options),
               Timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  std::ifstream pid_file("/tmp/cuttle-executor-sleep.pid");
  long sleeper = 0;
  pid_file >> sleeper;
  ASSERT_GT(sleeper, 0);
  EXPECT_NE(::kill(static_cast<pid_t>(sleeper), 0), 0) << "the timed-out command still runs";
  CommandResult r = remote.runner->run({"printf", "%s", "next"});
  EXPECT_EQ(r.stdout_text, "next");
  EXPECT_EQ(executor_pid(*remote.runner), executor) << "the executor was kept";
}

TEST_F(SshExecutorTest, ConcurrentCommandsEachGetAnExecutorAndKeepTheirOutput) {
  auto remote = open(ssh_test::port(), "auto");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string text = std::to_string(t) + "/" + std::to_string(i) + "\n'x\0"s;
        CommandResult r = remote.runner->run({"cat"}, CommandOptions{text, {}});
        if (r.stdout_text != text || r.exit_code != 0) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

// A site whose ForceCommand wrapper refuses to start a shell for us but runs ordinary
// commands (as some HPC sites filter what ssh may run).
class RefusingSite : public ssh_test::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    if (IsSkipped()) return;
    refused_ = dir_ + "/refused";
    const std::string wrapper = dir_ + "/force-command";
    ssh_test::write_file(wrapper,
                         "#!/bin/sh\n"
                         "case \"$SSH_ORIGINAL_COMMAND\" in\n"
                         "  \"exec /bin/sh -c \"*) echo x >>" +
                             refused_ +
                             "; echo 'no shells here' >&2; exit 1 ;;\n"
                             "esac\n"
                             "exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n");
    std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
    port_ = std::to_string(testing::free_port());
    CommandResult r = LocalRunner().run(
        {ssh_test::env_script(), "start-one", "cuttle-executor-refused", port_, wrapper});
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
    // The server shares the test host key; trust it on its own port.
    std::string line = ssh_test::read_file(ssh_test::known_hosts());
    line = line.substr(line.find(' '), line.find('\n') - line.find(' '));
    known_hosts_ = dir_ + "/known_hosts";
    ssh_test::write_file(known_hosts_, "[127.0.0.1]:" + port_ + line + "\n");
  }
  void TearDown() override {
    if (!port_.empty()) {
      LocalRunner().run({ssh_test::env_script(), "stop-one", "cuttle-executor-refused"});
    }
    ScratchTest::TearDown();
  }
  std::string refused_, port_, known_hosts_;
};

TEST_F(RefusingSite, ExecutorRefusedFallsBackToOneExecPerCommandAndAsksOnce) {
  auto values = ssh_test::properties();
  values["ssh.executor"] = "auto";
  values["ssh.known_hosts"] = known_hosts_;
  auto remote = detail::open_remote(
      Location::parse("ssh://" + ssh_test::user() + "@127.0.0.1:" + port_),
      Properties(detail::ssh_property_descriptors(), values), ssh_test::credential());
  for (int i = 0; i < 5; ++i) {
    CommandResult r = remote.runner->run({"printf", "%s", "it's $(run) " + std::to_string(i)});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    EXPECT_EQ(r.stdout_text, "it's $(run) " + std::to_string(i));
  }
  std::ifstream in(refused_);
  std::size_t attempts = 0;
  for (std::string line; std::getline(in, line);) ++attempts;
  EXPECT_EQ(attempts, 1u) << "the executor is tried once per host, then exec is used";
}

}  // namespace
}  // namespace cuttle
