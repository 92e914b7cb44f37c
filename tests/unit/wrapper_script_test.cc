// The sandbox wrapper, run by the real /bin/sh: hostile values arrive unchanged, how the
// job ended (exit code, our deadline, a cancel, a TERM from outside) is recorded, a TERM
// is escalated to KILL after the grace, and the marker reader parses it all back.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuttle/command_runner.h"
#include "internal/wrapper_script.h"
#include "tests/unit/test_util.h"

namespace cuttle::detail {
namespace {

using testing::read_file;

class WrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_ = dir_.path() + "/sand box 'x'";
    std::filesystem::create_directories(sandbox_ + "/.cuttle");
    paths_ = {sandbox_, sandbox_, "", sandbox_ + "/out", sandbox_ + "/err", {}};
  }
  // A container is named after the job key, the sandbox's last component.
  void use_keyed_sandbox() {
    sandbox_ = dir_.path() + "/c0123456789abcdef0123";
    std::filesystem::create_directories(sandbox_ + "/.cuttle");
    paths_ = {sandbox_, sandbox_, "", sandbox_ + "/out", sandbox_ + "/err", {}};
  }
  // The sandbox's record as the ssh and batch adaptors read it.
  MarkerState markers() {
    auto output = LocalRunner().run(read_markers_argv({sandbox_}));
    return parse_markers(output.stdout_text, {sandbox_}).at(sandbox_);
  }
  void write(const JobDescription& d, std::chrono::seconds grace = std::chrono::seconds(1)) {
    std::ofstream(sandbox_ + "/.cuttle/wrapper.sh") << render_wrapper(d, paths_, grace);
  }
  CommandResult run(const JobDescription& d) {
    write(d);
    return LocalRunner().run({"/bin/sh", sandbox_ + "/.cuttle/wrapper.sh"});
  }
  // Starts the wrapper as the leader of its own process group, as every adaptor does.
  pid_t start(const JobDescription& d, std::chrono::seconds grace = std::chrono::seconds(1)) {
    write(d, grace);
    const std::string wrapper = sandbox_ + "/.cuttle/wrapper.sh";
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setsid();
      ::execl("/bin/sh", "sh", wrapper.c_str(), static_cast<char*>(nullptr));
      ::_exit(126);
    }
    started_ = std::chrono::steady_clock::now();
    return pid;
  }
  // Waits for the wrapper; returns how long it ran.
  std::chrono::milliseconds reap(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started_);
  }
  // Waits until the wrapper recorded its pid (its traps are set before it).
  void wait_for_pid() {
    for (int i = 0; i < 200 && read_file(sandbox_ + "/.cuttle/pid").empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::optional<ExitMarker> exit_marker() {
    return parse_exit_marker(read_file(sandbox_ + "/.cuttle/exit"));
  }
  std::chrono::steady_clock::time_point started_;
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
  EXPECT_EQ(read_file(sandbox_ + "/out"), hostile + "|" + hostile);
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/pwned"));
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/pwned2"));
}

TEST_F(WrapperTest, ExitCodeIsRecordedAndParsedBack) {
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "echo err >&2; exit 42"};
  EXPECT_EQ(run(d).exit_code, 42);
  EXPECT_EQ(read_file(sandbox_ + "/err"), "err\n");
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
  EXPECT_EQ(read_file(sandbox_ + "/.cuttle/exit"), "127\n");
}

JobDescription in_image(std::string executable, std::string image, ContainerRuntime runtime) {
  JobDescription d;
  d.executable = std::move(executable);
  d.container_image = std::move(image);
  d.container.runtime = runtime;
  return d;
}

TEST_F(WrapperTest, AContainerRuntimeMissingOnTheHostIsAnErrorNamingIt) {
  // Apptainer is not packaged for Debian 12: the wrapper finds no `apptainer` here, as on
  // a batch node without the runtime the submit host had.
  use_keyed_sandbox();
  EXPECT_EQ(run(in_image("/bin/true", "/images/x.sif", ContainerRuntime::kApptainer)).exit_code,
            127);
  const MarkerState m = markers();
  EXPECT_EQ(m.container, "apptainer /images/x.sif");
  JobStatus s = final_status_from_marker("j", m);
  EXPECT_EQ(s.state, JobState::kError);
  EXPECT_THAT(s.error.value_or(""), ::testing::HasSubstr("container.runtime: apptainer is not "
                                                         "installed on "));
}

TEST_F(WrapperTest, AContainerJobsOwnFailureKeepsItsExitCode) {
  // The runtime's run command stands in for a job failing with a line that is not the
  // runtime's: the record keeps the line, the state stays the job's.
  use_keyed_sandbox();
  const JobDescription d = in_image("/bin/sh", "/images/busybox", ContainerRuntime::kCharliecloud);
  const std::string bin = dir_.path() + "/bin";
  std::filesystem::create_directories(bin);
  std::ofstream(bin + "/ch-run")
      << "#!/bin/sh\necho 'Error: not the runtime' >&2\necho >&2\nexit 125\n";
  std::filesystem::permissions(bin + "/ch-run", std::filesystem::perms::owner_all);
  write(d);
  CommandResult r = LocalRunner().run(
      {"env", "PATH=" + bin + ":/usr/bin:/bin", "/bin/sh", sandbox_ + "/.cuttle/wrapper.sh"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_EQ(read_file(sandbox_ + "/.cuttle/container_err"), "Error: not the runtime\n");
  JobStatus s = final_status_from_marker("j", markers());
  EXPECT_EQ(s.state, JobState::kFailed);  // ch-run's own failures are exit 1 "ch-run[N]: error:"
  EXPECT_EQ(s.exit_code, 125);
}

JobDescription sleeper(const char* seconds) { return cuttle::testing::job("sleep", {seconds}); }

TEST_F(WrapperTest, DeadlineEndsTheJobAndIsRecorded) {
  JobDescription d = sleeper("30");
  d.max_runtime = std::chrono::seconds(1);
  const auto took = reap(start(d));
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  auto exit = exit_marker();
  ASSERT_TRUE(exit.has_value()) << read_file(sandbox_ + "/.cuttle/exit");
  EXPECT_EQ(exit->code, 143);
  EXPECT_EQ(exit->cause, EndCause::kDeadline);
}

TEST_F(WrapperTest, ExtendedAllocationIsReadWhenTheFirstRunsOut) {
  JobDescription d = sleeper("30");
  d.max_runtime = std::chrono::seconds(1);
  std::ofstream(sandbox_ + "/.cuttle/allocation") << allocation_marker(std::chrono::seconds(1));
  LocalFileSystem files;
  EXPECT_EQ(extend_allocation(files, sandbox_, std::chrono::seconds(2)), std::chrono::seconds(3));
  const auto took = reap(start(d));
  EXPECT_GE(took, std::chrono::milliseconds(2900));
  EXPECT_LT(took, std::chrono::milliseconds(4500));
  EXPECT_EQ(exit_marker()->cause, EndCause::kDeadline);
}

TEST_F(WrapperTest, TermFromOutsideIsRecordedAsSignal) {
  const pid_t pid = start(sleeper("30"));
  wait_for_pid();
  ::kill(-pid, SIGTERM);
  reap(pid);
  auto exit = exit_marker();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 143);
  EXPECT_EQ(exit->cause, EndCause::kSignal);
}

TEST_F(WrapperTest, TermAfterTheCancelMarkerIsRecordedAsCancel) {
  const pid_t pid = start(sleeper("30"));
  wait_for_pid();
  std::ofstream(sandbox_ + "/.cuttle/cancelled").flush();
  ::kill(-pid, SIGTERM);
  reap(pid);
  EXPECT_EQ(exit_marker()->cause, EndCause::kCancel);
}

TEST_F(WrapperTest, JobIgnoringTermIsKilledAfterTheGraceWithNobodyWatching) {
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "trap '' TERM; sleep 30; exit 0"};
  const pid_t pid = start(d, std::chrono::seconds(1));
  wait_for_pid();
  std::ofstream(sandbox_ + "/.cuttle/cancelled").flush();
  ::kill(-pid, SIGTERM);
  const auto took = reap(pid);
  EXPECT_LT(took, std::chrono::milliseconds(4000));
  auto exit = exit_marker();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 137);
  EXPECT_EQ(exit->cause, EndCause::kCancel);
}

// On a loaded host the job may end just as the grace runs out: the wrapper and its
// escalation both reach their write. The first record stands; a reader that saw it never
// sees another (here the escalation "won" while the job was still ending).
TEST_F(WrapperTest, TheFirstRecordedEndStandsAndIsNeverOverwritten) {
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "sleep 0.3; exit 3"};
  const pid_t pid = start(d);
  wait_for_pid();
  std::ofstream(sandbox_ + "/.cuttle/exit") << "137 cancel\n";
  reap(pid);
  EXPECT_EQ(read_file(sandbox_ + "/.cuttle/exit"), "137 cancel\n");
  // Without an earlier record the wrapper's own is written as before.
  std::filesystem::remove(sandbox_ + "/.cuttle/exit");
  run(d);
  EXPECT_EQ(read_file(sandbox_ + "/.cuttle/exit"), "3\n");
}

// A batch system that requeues a job runs its wrapper again in the same sandbox: the
// first run's end (here a TERM from the preemption) gives way to the new run's.
TEST_F(WrapperTest, ARerunInTheSameSandboxRecordsItsOwnEnd) {
  std::ofstream(sandbox_ + "/.cuttle/exit") << "143 signal\n";
  std::ofstream(sandbox_ + "/.cuttle/container_err") << "cuttle: an earlier run's failure\n";
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "exit 3"};
  run(d);
  EXPECT_EQ(read_file(sandbox_ + "/.cuttle/exit"), "3\n");
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/.cuttle/container_err"));
}

TEST_F(WrapperTest, CommandKilledAloneIsAnOrdinaryExit) {
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "kill -TERM $$"};
  EXPECT_EQ(run(d).exit_code, 143);
  EXPECT_EQ(exit_marker()->cause, EndCause::kExited);
}

TEST(ParseExitMarker, ReadsCodeAndCauseAndRefusesTornWrites) {
  EXPECT_EQ(parse_exit_marker("0\n")->code, 0);
  EXPECT_EQ(parse_exit_marker("143 deadline\n")->cause, EndCause::kDeadline);
  EXPECT_EQ(parse_exit_marker("143 cancel\n")->cause, EndCause::kCancel);
  EXPECT_EQ(parse_exit_marker("143 signal")->cause, EndCause::kSignal);
  EXPECT_FALSE(parse_exit_marker(""));
  EXPECT_FALSE(parse_exit_marker("143 dead"));
  EXPECT_FALSE(parse_exit_marker("256"));
  EXPECT_FALSE(parse_exit_marker("-1"));
  EXPECT_FALSE(parse_exit_marker("$(x)"));
}

TEST(FinalStatusFromMarker, CauseDecidesTheState) {
  MarkerState m;
  m.exit_code = 143;
  m.cause = EndCause::kDeadline;
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kExpired);
  m.cause = EndCause::kCancel;
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kCancelled);
  m.cause = EndCause::kSignal;
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kCancelled);
  m.cause = EndCause::kExited;
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kFailed);
  m.exit_code = 0;
  m.cancelled = true;  // the job ended by itself before the cancel reached it
  EXPECT_EQ(final_status_from_marker("j", m).state, JobState::kCompleted);
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

// Launch fields (docs/launchers.md), run by the real /bin/sh.
TEST_F(WrapperTest, LaunchScriptsRunAroundTheCommandWhichKeepsItsExitCode) {
  const std::string dir = sandbox_ + "/s $(touch pwned) 'q'\nl";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/pre") << "echo pre-out; V=from-pre; export V\n";
  std::ofstream(dir + "/post") << "echo \"post $V\" >&2; exit 9\n";
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "echo \"$V\"; exit 3"};
  d.pre_launch = dir + "/pre";
  d.post_launch = dir + "/post";
  EXPECT_EQ(run(d).exit_code, 3);
  EXPECT_EQ(read_file(sandbox_ + "/out"), "pre-out\nfrom-pre\n");
  EXPECT_EQ(read_file(sandbox_ + "/err"), "post from-pre\n");
  EXPECT_EQ(final_status_from_marker("j", markers()).state, JobState::kFailed);
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/pwned"));
}

TEST_F(WrapperTest, ACleanEnvironmentKeepsOnlyWhoRunsItTheJobsOwnAndTheSystemPath) {
  ::setenv("LAUNCH_UNIT_SECRET", "leaked", 1);
  JobDescription d;
  d.executable = "env";  // found on the system PATH the clean environment sets
  d.environment = {{"MINE", "a'b\nc"}, {"PATH", "/usr/bin:/bin"}};
  d.inherit_environment = false;
  EXPECT_EQ(run(d).exit_code, 0);
  ::unsetenv("LAUNCH_UNIT_SECRET");
  const std::string env = read_file(sandbox_ + "/out");
  EXPECT_EQ(env.find("LAUNCH_UNIT_SECRET"), std::string::npos) << env;
  EXPECT_NE(env.find("MINE=a'b\nc\n"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH=/usr/bin:/bin\n"), std::string::npos) << env;  // the job's wins
  if (std::getenv("HOME")) {
    EXPECT_NE(env.find("HOME="), std::string::npos) << env;
  }
}

TEST_F(WrapperTest, AFailedLaunchIsAnErrorNamingTheFieldAndTheHost) {
  JobDescription d;
  d.executable = "/bin/true";
  d.launcher = "mpirun";
  d.environment = {{"PATH", "/nonexistent"}};  // a host without it (here: Slurm's mpiexec.slurm)
  EXPECT_EQ(run(d).exit_code, 127);
  JobStatus s = final_status_from_marker("j", markers());
  EXPECT_EQ(s.state, JobState::kError);
  EXPECT_EQ(s.reason.rfind("launcher: mpirun is not installed (not on the PATH) on ", 0), 0u)
      << s.reason;
  std::filesystem::remove(sandbox_ + "/.cuttle/exit");
  d.launcher.clear();
  d.post_launch = "missing\nscript";  // relative: in the working directory
  EXPECT_EQ(run(d).exit_code, 127);
  s = final_status_from_marker("j", markers());
  EXPECT_EQ(s.reason.rfind("post_launch: " + sandbox_ + "/missing\\nscript is not a readable", 0),
            0u)
      << s.reason;
}

TEST_F(WrapperTest, ModulesAreLoadedOrTheOneThatFailedIsNamed) {
  if (!std::filesystem::exists("/etc/profile.d/lmod.sh")) {
    GTEST_SKIP() << "Lmod is not installed (Debian package lmod, scripts/install-deps.sh)";
  }
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "echo \"$LAUNCH_TEST_MODULE\""};
  d.environment = {{"MODULEPATH", testing::source_dir() + "/tests/modulefiles"}};
  d.modules = {"cuttle-test"};
  d.inherit_environment = false;
  EXPECT_EQ(run(d).exit_code, 0) << read_file(sandbox_ + "/err");
  EXPECT_EQ(read_file(sandbox_ + "/out"), "loaded\n");
  std::filesystem::remove(sandbox_ + "/.cuttle/exit");
  d.modules = {"cuttle-test", "it's $(touch pwned)"};
  EXPECT_EQ(run(d).exit_code, 127);
  const JobStatus s = final_status_from_marker("j", markers());
  EXPECT_EQ(s.state, JobState::kError);
  EXPECT_EQ(s.reason.rfind("modules: it's $(touch pwned) did not load on ", 0), 0u) << s.reason;
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/pwned"));
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
