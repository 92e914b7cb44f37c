// The `cuttle` command, driven as a user drives it: separate processes, exit codes,
// stdout, one-line errors on stderr.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/cli_fixture.h"

namespace cuttle {
namespace {

using ::testing::HasSubstr;

TEST_F(CliTest, SubmitWaitPrintsJobOutputAndExitsWithItsCode) {
  auto r = cuttle({"submit", "--wait", "local://", "--", "/bin/sh", "-c", "echo hi; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.stdout_text, "hi\n");
}

// docs/launchers.md: the launch flags reach the job's shell.
TEST_F(CliTest, SubmitTakesTheLaunchFlags) {
  const std::string pre = dir_.path() + "/pre $(x).sh";
  std::ofstream(pre) << "P=from-pre; export P\n";
  ::setenv("CLI_LAUNCH_SECRET", "leaked", 1);
  // (Run by the wrapper, as a container job's or steps are: its stdout is a file, not ours.)
  const std::string out = dir_.path() + "/out";
  auto r = cuttle({"submit", "--wait", "local://", "--pre-launch", pre, "--no-inherit-environment",
                   "--env", "E=mine", "--stdout", out, "--", "/bin/sh", "-c",
                   "echo \"$P $E ${CLI_LAUNCH_SECRET-unset}\""});
  ::unsetenv("CLI_LAUNCH_SECRET");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(cuttle::testing::read_file(out), "from-pre mine unset\n");
}

TEST_F(CliTest, CommandSubstitutionInArgumentsIsNotExecuted) {
  const std::string victim = dir_.path() + "/x";
  auto r = cuttle({"submit", "--wait", "local://", "--", "/bin/echo", "$(touch " + victim + ")"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "$(touch " + victim + ")\n");
  EXPECT_FALSE(std::filesystem::exists(victim));
}

TEST_F(CliTest, DetachedJobIsReportedByASecondProcessAfterTheFirstExited) {
  auto submitted = cuttle({"submit", detached(), "--", "/bin/sh", "-c", "sleep 1; exit 7"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.stderr_text;
  std::string id = submitted.stdout_text.substr(0, submitted.stdout_text.find('\n'));
  ASSERT_FALSE(id.empty());
  auto waited = cuttle({"wait", detached(), id, "--timeout", "30s"});
  EXPECT_EQ(waited.exit_code, 7) << waited.stderr_text;
  auto status = cuttle({"status", "--json", detached(), id});
  ASSERT_EQ(status.exit_code, 0) << status.stderr_text;
  auto json = nlohmann::json::parse(status.stdout_text);
  EXPECT_EQ(json[0]["id"], id);
  EXPECT_EQ(json[0]["state"], "Failed");
  EXPECT_EQ(json[0]["exit_code"], 7);
}

TEST_F(CliTest, DetachedCompletedJobHasExitCodeZero) {
  auto submitted = cuttle({"submit", detached(), "--", "/bin/true"});
  std::string id = submitted.stdout_text.substr(0, submitted.stdout_text.find('\n'));
  auto waited = cuttle({"wait", "--json", detached(), id, "--timeout", "30s"});
  EXPECT_EQ(waited.exit_code, 0) << waited.stderr_text;
  EXPECT_EQ(nlohmann::json::parse(waited.stdout_text)["state"], "Completed");
}

TEST_F(CliTest, CancelFromAnotherProcessIsIdempotent) {
  auto submitted = cuttle({"submit", detached(), "--", "/bin/sleep", "30"});
  std::string id = submitted.stdout_text.substr(0, submitted.stdout_text.find('\n'));
  auto first = cuttle({"cancel", "--json", detached(), id});
  EXPECT_EQ(first.exit_code, 0) << first.stderr_text;
  auto waited = cuttle({"wait", detached(), id, "--timeout", "30s"});
  EXPECT_EQ(waited.exit_code, 130);
  auto again = cuttle({"cancel", "--json", detached(), id});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(again.stdout_text)[0]["state"], "Cancelled");
}

TEST_F(CliTest, WaitTimeoutExits124AndLeavesTheJob) {
  auto submitted = cuttle({"submit", detached(), "--", "/bin/sleep", "30"});
  std::string id = submitted.stdout_text.substr(0, submitted.stdout_text.find('\n'));
  auto waited = cuttle({"wait", detached(), id, "--timeout", "1s"});
  EXPECT_EQ(waited.exit_code, 124);
  EXPECT_THAT(waited.stderr_text, HasSubstr("still Running"));
  cuttle({"cancel", detached(), id});
}

TEST_F(CliTest, MaxRuntimeEndsTheJobExpired) {
  auto r =
      cuttle({"submit", "--wait", "--max-runtime", "1s", "local://", "--", "/bin/sleep", "30"});
  EXPECT_EQ(r.exit_code, 124);
  EXPECT_THAT(r.stderr_text, HasSubstr("Expired"));
}

struct BadInvocation {
  std::vector<std::string> args;
  int exit_code;
  std::string message;
};

void PrintTo(const BadInvocation& b, std::ostream* out) {
  for (const auto& a : b.args) *out << a << ' ';
}

class CliErrorTest : public CliTest, public ::testing::WithParamInterface<BadInvocation> {};

TEST_P(CliErrorTest, ErrorIsOneLineOnStderrWithNonZeroExit) {
  auto r = cuttle(GetParam().args);
  EXPECT_EQ(r.exit_code, GetParam().exit_code) << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr(GetParam().message));
  EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
  EXPECT_EQ(r.stderr_text.rfind("cuttle: ", 0), 0u) << r.stderr_text;
}

INSTANTIATE_TEST_SUITE_P(
    Cli, CliErrorTest,
    ::testing::Values(
        BadInvocation{{"submit", "bogus://", "--", "true"}, 2, "no adaptor for scheme 'bogus://'"},
        BadInvocation{{"submit", "local://", "-p", "mdoe=x", "--", "true"},
                      2,
                      "unknown property 'mdoe'; valid properties: mode"},
        BadInvocation{{"submit", "local://", "--memory", "12X", "--", "true"}, 2, "--memory"},
        BadInvocation{{"submit", "local://"}, 2, "give the command after `--`"},
        BadInvocation{{"submit", "local://", "--env", "1A=b", "--", "true"}, 2, "environment"},
        BadInvocation{
            {"submit", "local://", "--bogus", "--", "true"}, 2, "unknown option '--bogus'"},
        BadInvocation{{"status", "local://", "no-such-job"}, 1, "no such job"},
        BadInvocation{{"frobnicate"}, 2, "unknown verb 'frobnicate'"},
        BadInvocation{{"submit", "ssh://user:pw@host", "--", "true"}, 2, "password"},
        BadInvocation{{"wait", "local://"}, 2, "usage: cuttle wait"},
        BadInvocation{{"submit", "local://", "--gpus", "a100:2", "--", "true"},
                      1,
                      "gpus: the local adaptor cannot honour it"},
        BadInvocation{{"submit", "local://", "--exclusive", "--", "true"},
                      1,
                      "exclusive_nodes: the local adaptor cannot honour it"},
        BadInvocation{{"submit", "local://", "--gpus", "0", "--", "true"}, 2, "--gpus: at least 1"},
        BadInvocation{{"submit", "local://", "--constraint", "a|b", "--", "true"},
                      2,
                      "constraints[0]: a node feature"},
        BadInvocation{{"submit", "local://", "--launcher", "aprun", "--", "true"},
                      2,
                      "launcher: 'aprun' is not one of none, srun, mpirun, mpiexec"},
        BadInvocation{{"submit", "local://", "--module", "", "--", "true"}, 2, "modules[0]"}));

TEST_F(CliTest, AdaptorsListsLocationFormsAndProperties) {
  auto r = cuttle({"adaptors", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  auto json = nlohmann::json::parse(r.stdout_text);
  bool found = false;
  for (const auto& a : json) {
    if (a["name"] == "local") {
      found = true;
      EXPECT_FALSE(a["properties"].empty());
      EXPECT_FALSE(a["location_forms"].empty());
    }
  }
  EXPECT_TRUE(found);
}

// docs/resources.md: the capabilities say which resource fields an adaptor honours.
TEST_F(CliTest, AdaptorsListWhichResourceFieldsEachHonours) {
  auto r = cuttle({"adaptors", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  std::map<std::string, nlohmann::json> caps;
  for (const auto& a : nlohmann::json::parse(r.stdout_text)) caps[a["name"]] = a["capabilities"];
  EXPECT_EQ(caps["local"]["gpus"], false);
  EXPECT_EQ(caps["ssh"]["exclusive_nodes"], false);
  EXPECT_EQ(caps["slurm"]["gpu_type"], true);
  EXPECT_EQ(caps["slurm"]["reservation"], true);
  EXPECT_EQ(caps["torque"]["constraints"], true);
  EXPECT_EQ(caps["torque"]["qos"], false);
  EXPECT_EQ(caps["kubernetes"]["gpus"], true);
  EXPECT_EQ(caps["kubernetes"]["account"], false);
  // docs/steps.md: every adaptor runs jobs with steps (kubernetes:// as one pod).
  for (const char* adaptor : {"local", "ssh", "slurm", "torque", "kubernetes"}) {
    EXPECT_EQ(caps[adaptor]["steps"], true) << adaptor;
  }
}

}  // namespace
}  // namespace cuttle
