// The acceptance commands of the ssh and batch adaptors, run through the `cuttle`
// command against the real sshd and Slurm started by tests/env/ (strict host-key
// checking against the test known_hosts).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cuttle/command_runner.h"
#include "tests/integration/ssh_test_env.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using ::testing::HasSubstr;

#define CUTTLE_REQUIRE_SLURM()                                                         \
  do {                                                                                 \
    if (::cuttle::ssh_test::env("CUTTLE_TEST_SLURM").empty()) {                        \
      if (::cuttle::ssh_test::in_ci()) FAIL() << "CUTTLE_TEST_SLURM not set";          \
      GTEST_SKIP() << "no test Slurm: run eval \"$(tests/env/slurm.sh start)\" first"; \
    }                                                                                  \
  } while (0)

// `environment` (NAME=VALUE) is set for the command only.
CommandResult cuttle(std::vector<std::string> args, std::vector<std::string> environment = {}) {
  const char* dir = std::getenv("CUTTLE_BINARY_DIR");
  args.insert(args.begin(), std::string(dir ? dir : CUTTLE_BUILD_DIR) + "/bindings/cli/cuttle");
  if (!environment.empty()) {
    environment.insert(environment.begin(), "/usr/bin/env");
    args.insert(args.begin(), environment.begin(), environment.end());
  }
  CommandOptions options;
  options.timeout = std::chrono::minutes(3);
  return LocalRunner().run(args, options);
}

// The flags that give the CLI the throwaway key and known_hosts of tests/env/sshd.sh.
std::vector<std::string> ssh_flags() {
  return {"-p", "ssh.known_hosts=" + ssh_test::known_hosts(), "-p",         "ssh.config=none",
          "-p", "ssh.executor=" + ssh_test::executor_mode(),  "--identity", ssh_test::key()};
}

std::vector<std::string> submit_wait(const std::string& location, bool over_ssh, int code) {
  std::vector<std::string> args{"submit", "--wait", location};
  if (over_ssh) {
    auto flags = ssh_flags();
    args.insert(args.end(), flags.begin(), flags.end());
  }
  args.insert(args.end(), {"--", "/bin/sh", "-c", "exit " + std::to_string(code)});
  return args;
}

TEST(CliRemote, SshSubmitWaitExitsWithTheJobsCode) {
  CUTTLE_REQUIRE_SSHD();
  auto r = cuttle(submit_wait(ssh_test::location("ssh"), true, 7));
  EXPECT_EQ(r.exit_code, 7) << r.stderr_text;
}

TEST(CliRemote, SshUnknownHostKeyIsRefusedNamingTheFingerprint) {
  CUTTLE_REQUIRE_SSHD();
  testing::TempDir dir;
  const std::string empty_known_hosts = dir.path() + "/known_hosts";
  std::ofstream(empty_known_hosts).close();
  auto r = cuttle({"submit", "--wait", ssh_test::location("ssh"), "-p",
                   "ssh.known_hosts=" + empty_known_hosts, "-p", "ssh.config=none", "--identity",
                   ssh_test::key(), "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("SHA256:"));
  EXPECT_THAT(r.stderr_text, HasSubstr(empty_known_hosts));
}

TEST(CliRemote, SlurmSubmitWaitExitsWithTheJobsCode) {
  CUTTLE_REQUIRE_SLURM();
  auto r = cuttle(submit_wait("slurm://", false, 5));
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
}

TEST(CliRemote, SlurmOverSshSubmitWaitExitsWithTheJobsCode) {
  CUTTLE_REQUIRE_SLURM();
  CUTTLE_REQUIRE_SSHD();
  auto r = cuttle(submit_wait(ssh_test::location("slurm+ssh"), true, 5));
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
}

TEST(CliRemote, FailedSbatchIsOneLineNamingTheReason) {
  CUTTLE_REQUIRE_SLURM();
  auto r = cuttle({"submit", "slurm://", "--queue", "no-such-partition", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("no-such-partition"));
  EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
}

TEST(CliRemote, SshJobsOutputIsReadOverSftp) {
  CUTTLE_REQUIRE_SSHD();
  std::vector<std::string> args{"submit", "--wait", ssh_test::location("ssh")};
  for (const auto& flag : ssh_flags()) args.push_back(flag);
  args.insert(args.end(), {"--", "/bin/sh", "-c", "echo 'it'\"'\"'s remote'"});
  auto submitted = cuttle(args);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.stderr_text;
  // The id is on the first progress line: "cuttle: HH:MM:SS.mmm ID State after ...".
  std::string line = submitted.stderr_text.substr(0, submitted.stderr_text.find('\n'));
  std::string id = line.substr(line.find(' ', 8) + 1);
  id = id.substr(0, id.find(' '));
  std::vector<std::string> output{"output", ssh_test::location("ssh")};
  for (const auto& flag : ssh_flags()) output.push_back(flag);
  output.push_back(id);
  auto r = cuttle(output);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "it's remote\n");
}

TEST(CliRemote, TorqueSubmitWaitExitsWithTheJobsCode) {
  CUTTLE_REQUIRE_SLURM();
  auto r = cuttle(submit_wait("torque://", false, 5));
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
}

// `cuttle clean` removes the sandboxes of finished jobs it submitted to other locations
// (found through the job index, removed over SFTP) and their index entries.
TEST(CliRemote, CleanRemovesFinishedSshSandboxesFoundThroughTheIndex) {
  CUTTLE_REQUIRE_SSHD();
  testing::TempDir dir;
  const std::vector<std::string> state{"XDG_STATE_HOME=" + dir.path() + "/state"};
  const std::string root = dir.path() + "/remote";  // the sshd runs on this machine
  std::vector<std::string> submit{
      "submit", "--wait", "--json", ssh_test::location("ssh"), "-p", "sandbox.root=" + root};
  for (const auto& flag : ssh_flags()) submit.push_back(flag);
  submit.insert(submit.end(), {"--", "/bin/sh", "-c", "echo done"});
  auto submitted = cuttle(submit, state);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.stderr_text;
  const std::string id = nlohmann::json::parse(submitted.stdout_text)["id"];
  ASSERT_TRUE(std::filesystem::exists(root + "/" + id)) << root + "/" + id;

  // Not old enough yet: kept.
  auto young = cuttle({"clean", "--older-than", "1h", "--json"}, state);
  ASSERT_EQ(young.exit_code, 0) << young.stderr_text;
  EXPECT_TRUE(std::filesystem::exists(root + "/" + id));

  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // No ssh flags needed: the index kept those given to submit.
  auto cleaned = cuttle({"clean", "--older-than", "1s", "--json"}, state);
  ASSERT_EQ(cleaned.exit_code, 0) << cleaned.stderr_text;
  auto report = nlohmann::json::parse(cleaned.stdout_text);
  EXPECT_EQ(report["failed"], nlohmann::json::array()) << report;
  EXPECT_FALSE(std::filesystem::exists(root + "/" + id)) << report;
  auto listed = cuttle({"list", "--json"}, state);
  EXPECT_EQ(nlohmann::json::parse(listed.stdout_text), nlohmann::json::array())
      << listed.stdout_text;
}

}  // namespace
}  // namespace cuttle
