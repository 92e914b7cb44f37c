// The sandbox wrapper, run by the real /bin/sh: hostile values arrive unchanged, the
// exit code is recorded by atomic rename, and the marker reader parses it back.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cuttle/command_runner.h"
#include "internal/wrapper_script.h"
#include "tests/unit/test_util.h"

namespace cuttle::detail {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class WrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_ = dir_.path() + "/sand box 'x'";
    std::filesystem::create_directories(sandbox_ + "/.cuttle");
    paths_ = {sandbox_, sandbox_, "", sandbox_ + "/out", sandbox_ + "/err"};
  }
  CommandResult run(const JobDescription& d) {
    std::ofstream(sandbox_ + "/.cuttle/wrapper.sh") << render_wrapper(d, paths_);
    return LocalRunner().run({"/bin/sh", sandbox_ + "/.cuttle/wrapper.sh"});
  }
  cuttle::testing::TempDir dir_;
  std::string sandbox_;
  WrapperPaths paths_;
};

TEST_F(WrapperTest, HostileArgumentsAndEnvironmentArriveUnchanged) {
  JobDescription d;
  d.executable = "/bin/sh";
  const std::string hostile = "$(touch pwned) `touch pwned2` 'q' \"d\"\nline * ? ~ ; & | \xff";
  d.arguments = {"-c", "printf '%s|%s' \"$1\" \"$V\"", "sh", hostile};
  d.environment = {{"V", hostile}};
  auto result = run(d);
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(slurp(sandbox_ + "/out"), hostile + "|" + hostile);
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/pwned"));
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/pwned2"));
}

TEST_F(WrapperTest, ExitCodeIsRecordedAndParsedBack) {
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "echo err >&2; exit 42"};
  EXPECT_EQ(run(d).exit_code, 42);
  EXPECT_EQ(slurp(sandbox_ + "/err"), "err\n");
  auto output = LocalRunner().run(read_markers_argv({sandbox_, dir_.path() + "/missing"}));
  auto markers = parse_markers(output.stdout_text, {sandbox_, dir_.path() + "/missing"});
  const MarkerState& m = markers.at(sandbox_);
  EXPECT_TRUE(m.exists);
  ASSERT_TRUE(m.exit_code.has_value());
  EXPECT_EQ(*m.exit_code, 42);
  EXPECT_TRUE(m.pid.has_value());
  EXPECT_TRUE(m.started.has_value());
  EXPECT_TRUE(m.finished.has_value());
  EXPECT_FALSE(m.alive);
  EXPECT_FALSE(markers.at(dir_.path() + "/missing").exists);
  JobStatus s = final_status_from_marker("j", m);
  EXPECT_EQ(s.state, JobState::kFailed);
  EXPECT_EQ(s.exit_code, 42);
}

TEST_F(WrapperTest, MissingWorkingDirectoryRecords127) {
  paths_.working_directory = sandbox_ + "/does-not-exist";
  JobDescription d;
  d.executable = "/bin/true";
  EXPECT_EQ(run(d).exit_code, 127);
  EXPECT_EQ(slurp(sandbox_ + "/.cuttle/exit"), "127\n");
}

TEST(FinalStatusFromMarker, NoExitCodeIsLostNeverCompleted) {
  MarkerState m;
  m.exists = true;
  JobStatus s = final_status_from_marker("j", m);
  EXPECT_EQ(s.state, JobState::kError);
  EXPECT_EQ(s.reason, "lost");
}

TEST(FinalStatusFromMarker, CancelledWinsAndSignalsAreNamed) {
  MarkerState m;
  m.exit_code = 143;
  EXPECT_NE(final_status_from_marker("j", m).reason.find("SIGTERM"), std::string::npos);
  m.cancelled = true;
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kCancelled);
}

TEST(NewJobKey, IsUniqueAndSafe) {
  std::set<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    std::string k = new_job_key();
    EXPECT_EQ(k.size(), 21u);
    EXPECT_EQ(k.find_first_not_of("c0123456789abcdef"), std::string::npos);
    keys.insert(k);
  }
  EXPECT_EQ(keys.size(), 1000u);
}

}  // namespace
}  // namespace cuttle::detail
