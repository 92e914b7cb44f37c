// The acceptance behaviour behind `cuttle submit --wait LOCATION -- /bin/sh -c 'exit 5'`
// (which must exit 5): through the public API, submit + wait_until_done reports Failed
// with exit code 5 on slurm://, slurm+ssh:// (through the real sshd) and torque://
// (Slurm's Torque wrappers). Needs tests/env/slurm.sh (and tests/env/sshd.sh).
#include <gtest/gtest.h>

#include <cstdlib>

#include "cuttle/cuttle.h"
#include "tests/unit/test_util.h"

namespace {

using namespace std::chrono_literals;

using ::cuttle::testing::env;

void require(std::initializer_list<const char*> variables) {
  for (const char* v : variables) {
    if (!env(v).empty()) continue;
    if (std::getenv("CI")) FAIL() << v << " is not set: start tests/env/slurm.sh and sshd.sh";
    GTEST_SKIP() << v << " is not set: start tests/env/slurm.sh and sshd.sh";
  }
}

cuttle::JobStatus submit_and_wait(const std::string& location, cuttle::SchedulerOptions options) {
  auto scheduler = cuttle::open_scheduler(location, options);
  cuttle::JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "exit 5"};
  const std::string id = scheduler->submit(d);
  return scheduler->wait_until_done(id, 90s);
}

void expect_exit_5(const cuttle::JobStatus& status) {
  EXPECT_EQ(status.state, cuttle::JobState::kFailed) << status.reason;
  ASSERT_TRUE(status.exit_code.has_value()) << status.reason;
  EXPECT_EQ(*status.exit_code, 5);
}

TEST(SlurmAcceptance, SubmitWaitExit5OnSlurm) {
  require({"CUTTLE_TEST_SLURM"});
  expect_exit_5(submit_and_wait("slurm://", {}));
}

TEST(SlurmAcceptance, SubmitWaitExit5OnSlurmOverSsh) {
  require({"CUTTLE_TEST_SLURM", "CUTTLE_TEST_SSH_HOST"});
  cuttle::SchedulerOptions options;
  options.properties = {{"ssh.known_hosts", env("CUTTLE_TEST_SSH_KNOWN_HOSTS")}};
  options.credential = cuttle::Credential::key(env("CUTTLE_TEST_SSH_KEY"));
  expect_exit_5(submit_and_wait("slurm+ssh://" + env("CUTTLE_TEST_SSH_USER") + "@" +
                                    env("CUTTLE_TEST_SSH_HOST") + ":" + env("CUTTLE_TEST_SSH_PORT"),
                                options));
}

TEST(SlurmAcceptance, SubmitWaitExit5OnTorque) {
  require({"CUTTLE_TEST_TORQUE"});
  expect_exit_5(submit_and_wait("torque://", {}));
}

}  // namespace
