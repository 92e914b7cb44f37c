// The `cuttle` command as a newcomer meets it: finding a job's output, ids that can be
// found again without repeating the location, typos refused, detached jobs checked up
// front like attached ones, cancel answering with the state after the cancel.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cuttle/shell.h"
#include "tests/integration/cli_fixture.h"

namespace cuttle {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

class CliJobsTest : public CliTest {
 protected:
  std::string submit_detached(std::vector<std::string> command) {
    std::vector<std::string> args{"submit", detached(), "--"};
    args.insert(args.end(), command.begin(), command.end());
    auto r = cuttle(args);
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    return first_line(r.stdout_text);
  }
  std::size_t sandboxes() {
    std::error_code ec;
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_.path() + "/jobs", ec)) ++n;
    return n;
  }
};

TEST_F(CliJobsTest, OutputAndLogsPrintADetachedJobsStdoutAndStderr) {
  std::string id =
      submit_detached({"/bin/sh", "-c", "echo out; echo 'it'\"'\"'s $(x)' >&2; exit 2"});
  EXPECT_EQ(cuttle({"wait", id, "--timeout", "30s"}).exit_code, 2);
  auto out = cuttle({"output", id});
  EXPECT_EQ(out.exit_code, 0) << out.stderr_text;
  EXPECT_EQ(out.stdout_text, "out\n");
  auto err = cuttle({"logs", id, "--stderr"});
  EXPECT_EQ(err.exit_code, 0) << err.stderr_text;
  EXPECT_EQ(err.stdout_text, "it's $(x)\n");
  // With the location too, as before.
  EXPECT_EQ(cuttle({"output", detached(), id}).stdout_text, "out\n");
}

TEST_F(CliJobsTest, LogsFollowPrintsOutputUntilTheJobEnds) {
  std::string id = submit_detached({"/bin/sh", "-c", "echo a; sleep 1; echo b"});
  auto r = cuttle({"logs", "--follow", id});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "a\nb\n");
}

TEST_F(CliJobsTest, OutputGivenWithStdoutFlagIsFoundRelativeToTheSandbox) {
  auto r = cuttle({"submit", detached(), "--stdout", "mine.txt", "--", "/bin/echo", "hello"});
  std::string id = first_line(r.stdout_text);
  ASSERT_EQ(cuttle({"wait", id, "--timeout", "30s"}).exit_code, 0);
  EXPECT_EQ(cuttle({"output", id}).stdout_text, "hello\n");
}

TEST_F(CliJobsTest, TextStatusHasAHeaderAndShowsWhereOutputLives) {
  std::string id = submit_detached({"/bin/true"});
  cuttle({"wait", id, "--timeout", "30s"});
  auto r = cuttle({"status", id});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(first_line(r.stdout_text), "JOB\tSTATE\tEXIT\tOUTPUT\tREASON");
  EXPECT_THAT(r.stdout_text, HasSubstr(dir_.path() + "/jobs/" + id + "/stdout.txt"));
  EXPECT_THAT(r.stdout_text, HasSubstr(id + "\tCompleted\t0\t"));
}

struct Refused {
  std::string what;
  std::vector<std::string> flags_and_command;  // {"--cwd", "/no", "--", ...}
  std::string field;
};

void PrintTo(const Refused& r, std::ostream* out) { *out << r.what; }

class CliLaunchCheckTest : public CliJobsTest, public ::testing::WithParamInterface<Refused> {};

TEST_P(CliLaunchCheckTest, DetachedRefusesUpFrontWhatAttachedRefuses) {
  const std::string plain = dir_.path() + "/plain.txt";
  std::ofstream(plain) << "not a program\n";
  ::chmod(plain.c_str(), 0644);
  auto args_for = [&](std::vector<std::string> head) {
    for (std::string a : GetParam().flags_and_command) {
      if (a == "PLAIN") a = plain;
      head.push_back(a);
    }
    return head;
  };
  auto attached = cuttle(args_for({"submit", "--wait", "local://"}));
  auto detached_run = cuttle(args_for({"submit", detached()}));
  EXPECT_EQ(attached.exit_code, 2) << attached.stderr_text;
  EXPECT_EQ(detached_run.exit_code, 2) << detached_run.stdout_text << detached_run.stderr_text;
  EXPECT_THAT(attached.stderr_text, HasSubstr(GetParam().field));
  EXPECT_THAT(detached_run.stderr_text, HasSubstr(GetParam().field));
  EXPECT_EQ(sandboxes(), 0u) << "a refused detached job left its sandbox behind";
}

INSTANTIATE_TEST_SUITE_P(
    Cli, CliLaunchCheckTest,
    ::testing::Values(
        Refused{"missing program", {"--", "/no/such/bin"}, "executable"},
        Refused{"not executable", {"--", "PLAIN"}, "executable"},
        Refused{"bare name not in PATH", {"--", "no-such-cmd-$(x)"}, "executable"},
        Refused{"missing cwd", {"--cwd", "/no/such/dir", "--", "/bin/true"}, "working_directory"}));

TEST_F(CliJobsTest, RelativeScriptRunsDetachedAsItRunsAttached) {
  const std::string work = dir_.path() + "/work dir";
  fs::create_directories(work);
  std::ofstream(work + "/run.sh") << "#!/bin/sh\necho ran\n";
  ::chmod((work + "/run.sh").c_str(), 0755);
  auto r = runner_.run({"/bin/sh", "-c",
                        "cd " + quote(work) + " && exec /usr/bin/env XDG_STATE_HOME=" +
                            quote(dir_.path() + "/state") + " " + quote(cuttle_binary()) +
                            " submit " + quote(detached()) + " -- ./run.sh"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::string id = first_line(r.stdout_text);
  EXPECT_EQ(cuttle({"wait", id, "--timeout", "30s"}).exit_code, 0);
  EXPECT_EQ(cuttle({"output", id}).stdout_text, "ran\n");
}

TEST_F(CliJobsTest, UnknownLocationQueryKeyIsRefusedNamingItAndTheValidKeys) {
  for (const std::string location : {"local://?nosuch=1", "local://?mdoe=detached"}) {
    auto r = cuttle({"submit", "--wait", location, "--", "/bin/true"});
    EXPECT_EQ(r.exit_code, 2) << location;
    EXPECT_THAT(r.stderr_text, HasSubstr("unknown query key"));
    EXPECT_THAT(r.stderr_text, HasSubstr("mode"));
  }
  auto status = cuttle({"status", "local://?typo=1", "c0000000000000000000"});
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_THAT(status.stderr_text, HasSubstr("'typo'"));
}

TEST_F(CliJobsTest, LocalSubmitWithoutWaitRunsDetachedAndItsIdIsFoundAgain) {
  auto r = cuttle({"submit", "local://", "--", "/bin/sh", "-c", "sleep 1; exit 4"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::string id = first_line(r.stdout_text);
  auto status = cuttle({"status", "--json", id});
  ASSERT_EQ(status.exit_code, 0) << status.stderr_text;
  EXPECT_EQ(nlohmann::json::parse(status.stdout_text)[0]["id"], id);
  EXPECT_EQ(cuttle({"wait", id, "--timeout", "30s"}).exit_code, 4);
  // The sandbox is in the default root of this user (XDG_DATA_HOME).
  EXPECT_TRUE(fs::exists(default_sandboxes() + "/" + id));
}

TEST_F(CliJobsTest, ExplicitlyAttachedLocalSubmitWithoutWaitIsRefused) {
  auto r = cuttle({"submit", "local://?mode=attached", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.stderr_text, HasSubstr("--wait"));
  EXPECT_EQ(r.stdout_text, "");
}

TEST_F(CliJobsTest, WrongLocationForAKnownJobSaysWhereItIs) {
  std::string id = submit_detached({"/bin/true"});
  auto r = cuttle({"status", "local://", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("no such job"));
  EXPECT_THAT(r.stderr_text, HasSubstr("mode=detached"));
}

TEST_F(CliJobsTest, UnknownIdWithoutLocationSaysHowToGiveIt) {
  auto r = cuttle({"status", "12345"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("give its location"));
}

TEST_F(CliJobsTest, ListShowsRecentJobsAcrossLocationsNewestFirst) {
  std::string first = submit_detached({"/bin/true"});
  auto second = cuttle({"submit", "local://", "--", "/bin/echo", "$(two)"});
  std::string second_id = first_line(second.stdout_text);
  auto r = cuttle({"list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto json = nlohmann::json::parse(r.stdout_text);
  ASSERT_EQ(json.size(), 2u) << r.stdout_text;
  EXPECT_EQ(json[0]["id"], second_id);
  EXPECT_EQ(json[0]["location"], "local://");
  EXPECT_EQ(json[0]["command"], nlohmann::json({"/bin/echo", "$(two)"}));
  EXPECT_EQ(json[1]["id"], first);
  EXPECT_EQ(json[1]["location"], detached());
}

TEST_F(CliJobsTest, CancelPrintsTheStateAfterTheCancel) {
  std::string id = submit_detached({"/bin/sleep", "30"});
  auto r = cuttle({"cancel", id});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr(id + "\tCancelled"));
}

TEST_F(CliJobsTest, NodesAboveOneOnLocalIsUnsupported) {
  auto r = cuttle({"submit", "--wait", "--nodes", "2", "local://", "--", "/bin/true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.stderr_text, HasSubstr("nodes=2"));
}

TEST_F(CliJobsTest, CleanRemovesOldFinishedSandboxesButNotRunningOnes) {
  std::string done = submit_detached({"/bin/true"});
  std::string running = submit_detached({"/bin/sleep", "30"});
  ASSERT_EQ(cuttle({"wait", done, "--timeout", "30s"}).exit_code, 0);
  auto dry = cuttle(
      {"clean", "--older-than", "0s", "--dry-run", "-p", "sandbox.root=" + dir_.path() + "/jobs"});
  EXPECT_EQ(dry.exit_code, 0) << dry.stderr_text;
  EXPECT_THAT(dry.stdout_text, HasSubstr("would remove"));
  EXPECT_TRUE(fs::exists(dir_.path() + "/jobs/" + done));
  auto r = cuttle(
      {"clean", "--json", "--older-than", "0s", "-p", "sandbox.root=" + dir_.path() + "/jobs"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto json = nlohmann::json::parse(r.stdout_text);
  EXPECT_EQ(json["removed"], nlohmann::json({dir_.path() + "/jobs/" + done}));
  EXPECT_FALSE(fs::exists(dir_.path() + "/jobs/" + done));
  EXPECT_TRUE(fs::exists(dir_.path() + "/jobs/" + running));
  // The running job's index entry stays: it is still found without its location.
  EXPECT_THAT(cuttle({"cancel", running}).stdout_text, HasSubstr("Cancelled"));
  EXPECT_EQ(cuttle({"clean", "--older-than", "7d"}).exit_code, 0);
  EXPECT_NE(cuttle({"clean"}).exit_code, 0);
}

TEST_F(CliJobsTest, CleanupAlwaysKeepsOutputThatWasNotStagedOut) {
  auto r = cuttle({"submit", "--wait", "--json", detached() + "&cleanup=always", "--", "/bin/sh",
                   "-c", "echo kept; echo data > data.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const std::string id = nlohmann::json::parse(r.stdout_text)["id"];
  auto out = cuttle({"output", id});
  EXPECT_EQ(out.exit_code, 0) << out.stderr_text;
  EXPECT_EQ(out.stdout_text, "kept\n");
  for (int i = 0; i < 100 && fs::exists(dir_.path() + "/jobs/" + id + "/data.txt"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // cleanup runs after the state
  }
  EXPECT_FALSE(fs::exists(dir_.path() + "/jobs/" + id + "/data.txt"));
}

// On a terminal, a stage-in says what it copies and how long it took (submit stages in
// before it returns, which would otherwise be a silent wait). `script` gives the command a
// pseudo-terminal, as a user's shell does.
TEST_F(CliJobsTest, StageInOnATerminalSaysWhatItCopiesAndHowLong) {
  if (::access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "script (util-linux) is missing";
  fs::create_directories(dir_.path() + "/in");
  std::ofstream(dir_.path() + "/in/a.bin") << std::string(3 * 1024 * 1024, 'x');
  std::ofstream(dir_.path() + "/in/b.txt") << "b";
  const std::string command = "XDG_STATE_HOME=" + quote(dir_.path() + "/state") + " " +
                              quote(cuttle_binary()) + " submit --wait --stage-in " +
                              quote(dir_.path() + "/in") + ":in " + quote(detached()) +
                              " -- /bin/ls in";
  CommandOptions options;
  options.timeout = std::chrono::seconds(60);
  auto r = runner_.run({"/usr/bin/script", "-qec", command, "/dev/null"}, options);
  EXPECT_EQ(r.exit_code, 0) << r.stdout_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("staging in 1 entry (3.0 MiB) to local://"));
  EXPECT_THAT(r.stdout_text, HasSubstr("staged in and submitted after "));
  // Without a terminal: plain lines only, no staging chatter.
  auto plain = cuttle({"submit", "--wait", "--stage-in", dir_.path() + "/in:in", detached(), "--",
                       "/bin/ls", "in"});
  EXPECT_EQ(plain.exit_code, 0) << plain.stderr_text;
  EXPECT_THAT(plain.stderr_text, Not(HasSubstr("staging in")));
}

}  // namespace
}  // namespace cuttle
