// A process using ssh:// and slurm+ssh:// schedulers exits cleanly whatever its threads
// are doing: the exit races that used to crash now and then (a poll thread finishing a
// remote command or closing the session after OpenSSL's exit-time cleanup) are forced
// here, several times, each in a child process that really exits. The long-run proof is
// scripts/exit-soak.sh (thousands of exits of the ssh test processes).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "tests/integration/ssh_test_env.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;

constexpr int kExitsPerCase = 5;

SchedulerOptions ssh_options(const std::string& root) {
  SchedulerOptions o;
  o.properties = ssh_test::properties();
  o.properties["sandbox.root"] = root;
  o.properties["poll.interval"] = "50ms";
  o.credential = ssh_test::credential();
  return o;
}

std::string scratch_root() { return "/tmp/cuttle-ssh-exit-test-" + std::to_string(::getpid()); }

class SshExitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CUTTLE_REQUIRE_SSHD();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(scratch_root(), ignored);
  }
};

JobDescription sleeper(const char* seconds) {
  return cuttle::testing::job("/bin/sleep", {seconds});
}

TEST_F(SshExitTest, ExitWhileThePollThreadHoldsTheLastReference) {
  for (int i = 0; i < kExitsPerCase; ++i) {
    EXPECT_EXIT(
        {
          auto scheduler = open_scheduler(ssh_test::location(), ssh_options(scratch_root()));
          scheduler->submit(sleeper("0.2"));
          std::this_thread::sleep_for(60ms);  // a poll is about to run, or running
          scheduler.reset();
          std::exit(0);
        },
        ::testing::ExitedWithCode(0), "");
  }
}

TEST_F(SshExitTest, ExitWithALiveSchedulerWhosePollIsInFlight) {
  for (int i = 0; i < kExitsPerCase; ++i) {
    EXPECT_EXIT(
        {
          // Never released: owned until the very end, like a static or leaked scheduler.
          auto* scheduler = new std::shared_ptr<Scheduler>(
              open_scheduler(ssh_test::location(), ssh_options(scratch_root())));
          (*scheduler)->submit(sleeper("0.5"));
          std::this_thread::sleep_for(std::chrono::milliseconds(20 * i));
          std::exit(0);
        },
        ::testing::ExitedWithCode(0), "");
  }
}

}  // namespace
}  // namespace cuttle
