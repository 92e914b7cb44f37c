// Behaviour of the local:// adaptor beyond the conformance suite: inherited output,
// process groups and the SIGKILL escalation, the concurrency limit, detached re-attach
// (lost jobs, reused pids, exit markers), properties, cleanup, and spawn failures.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "adaptors/local/detached_record.h"
#include "adaptors/local/process.h"
#include "cuttle/cuttle.h"
#include "cuttle/sandbox.h"
#include "internal/wrapper_script.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;

using testing::read_file;
using testing::write_file;

using cuttle::testing::job;

class LocalSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/cuttle-local-unit-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    root_ = dir_ + "/sandboxes";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::shared_ptr<Scheduler> open(std::map<std::string, std::string> properties = {}) {
    SchedulerOptions options;
    options.properties = std::move(properties);
    if (!options.properties.count("sandbox.root")) options.properties["sandbox.root"] = root_;
    return open_scheduler("local://", options);
  }
  std::string dir_;
  std::string root_;
};

TEST_F(LocalSchedulerTest, AttachedEmptyStdoutIsTheSubmittersStdout) {
  const std::string captured = dir_ + "/captured.txt";
  auto scheduler = open();
  std::fflush(stdout);
  int saved = ::dup(1);
  int file = ::open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(file, 0);
  ::dup2(file, 1);
  ::close(file);
  std::string id = scheduler->submit(job("/bin/sh", {"-c", "echo hi"}));
  ::dup2(saved, 1);
  ::close(saved);
  EXPECT_EQ(scheduler->wait_until_done(id, 20s).state, JobState::kCompleted);
  EXPECT_EQ(read_file(captured), "hi\n");
}

TEST_F(LocalSchedulerTest, DetachedEmptyStdoutGoesToTheSandbox) {
  auto scheduler = open({{"mode", "detached"}});
  std::string id = scheduler->submit(job("/bin/sh", {"-c", "echo out; echo err >&2"}));
  JobStatus status = scheduler->wait_until_done(id, 20s);
  ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(read_file(root_ + "/" + id + "/stdout.txt"), "out\n");
  EXPECT_EQ(read_file(root_ + "/" + id + "/stderr.txt"), "err\n");
}

TEST_F(LocalSchedulerTest, RelativeRedirectionsAreRelativeToTheWorkingDirectory) {
  auto scheduler = open();
  JobDescription d = job("/bin/sh", {"-c", "cat; echo err >&2"});
  d.working_directory = dir_;
  write_file(dir_ + "/in.txt", "input\n");
  d.stdin_path = "in.txt";
  d.stdout_path = "out.txt";
  d.stderr_path = "err.txt";
  EXPECT_EQ(scheduler->wait_until_done(scheduler->submit(d), 20s).state, JobState::kCompleted);
  EXPECT_EQ(read_file(dir_ + "/out.txt"), "input\n");
  EXPECT_EQ(read_file(dir_ + "/err.txt"), "err\n");
}

TEST_F(LocalSchedulerTest, CancelEscalatesToSigkillAfterTheGracePeriod) {
  auto scheduler = open({{"cancel.grace", "500ms"}});
  std::string id = scheduler->submit(job("/bin/sh", {"-c", "trap '' TERM; sleep 30"}));
  scheduler->wait_until_running(id, 20s);
  std::this_thread::sleep_for(100ms);  // let the shell install its trap
  auto begin = std::chrono::steady_clock::now();
  scheduler->cancel(id);
  JobStatus status = scheduler->wait_until_done(id, 20s);
  auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(status.state, JobState::kCancelled) << status.reason;
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 10s);
}

TEST_F(LocalSchedulerTest, CancelEndsTheWholeProcessGroup) {
  const std::string pid_file = dir_ + "/child.pid";
  auto scheduler = open();
  std::string id = scheduler->submit(
      job("/bin/sh", {"-c", "sleep 30 & echo $! > \"$1\"; wait", "sh", pid_file}));
  scheduler->wait_until_running(id, 20s);
  for (int i = 0; i < 200 && read_file(pid_file).empty(); ++i) std::this_thread::sleep_for(10ms);
  const pid_t child = std::stoi(read_file(pid_file));
  scheduler->cancel(id);
  EXPECT_EQ(scheduler->wait_until_done(id, 20s).state, JobState::kCancelled);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = !detail::local::process_start_time(child).has_value();
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "the job's background child survived the cancel";
}

TEST_F(LocalSchedulerTest, MaxConcurrentQueuesExcessJobs) {
  auto scheduler = open({{"max.concurrent", "2"}});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(scheduler->submit(job("sleep", {"0.3"})));
  std::vector<JobStatus> now = scheduler->statuses(ids);
  int queued = 0;
  for (const auto& s : now) queued += s.state == JobState::kQueued ? 1 : 0;
  EXPECT_GE(queued, 3);
  for (const auto& id : ids)
    EXPECT_EQ(scheduler->wait_until_done(id, 20s).state, JobState::kCompleted);
}

TEST_F(LocalSchedulerTest, DetachedWrapperKilledWithoutMarkerIsLost) {
  auto scheduler = open({{"mode", "detached"}});
  std::string id = scheduler->submit(job("sleep", {"30"}));
  JobStatus running = scheduler->wait_until_running(id, 20s);
  const pid_t wrapper = std::stoi(running.scheduler_info.at("pid"));
  ::kill(-wrapper, SIGKILL);
  JobStatus status = scheduler->wait_until_done(id, 20s);
  EXPECT_EQ(status.state, JobState::kError);
  EXPECT_EQ(status.reason, "lost");
  EXPECT_EQ(open({{"mode", "detached"}})->status(id).state, JobState::kError);
}

// A sandbox as a submitting process would have left it.
std::string fake_sandbox(const std::string& root, pid_t pid, std::uint64_t ticks) {
  const std::string id = detail::new_job_key();
  const std::string dir = root + "/" + id;
  std::filesystem::create_directories(dir + "/.cuttle");
  write_file(dir + "/.cuttle/pid.start", std::to_string(pid) + " " + std::to_string(ticks));
  return id;
}

TEST_F(LocalSchedulerTest, ReusedPidIsNotMistakenForTheJob) {
  // Our own pid is alive, but it did not start at the recorded time.
  auto ticks = detail::local::process_start_time(::getpid());
  ASSERT_TRUE(ticks.has_value());
  std::string id = fake_sandbox(root_, ::getpid(), *ticks + 12345);
  JobStatus status = open({{"mode", "detached"}})->status(id);
  EXPECT_EQ(status.state, JobState::kError);
  EXPECT_EQ(status.reason, "lost");
}

TEST_F(LocalSchedulerTest, ExitMarkerGivesTheTrueExitCodeAfterTheWrapperIsGone) {
  std::string id = fake_sandbox(root_, 999999, 1);
  write_file(root_ + "/" + id + "/.cuttle/exit", "7\n");
  JobStatus status = open({{"mode", "detached"}})->status(id);
  EXPECT_EQ(status.state, JobState::kFailed);
  EXPECT_EQ(status.exit_code, std::optional<int>(7));
}

TEST_F(LocalSchedulerTest, CancelledMarkerWithoutExitIsCancelled) {
  std::string id = fake_sandbox(root_, 999999, 1);
  write_file(root_ + "/" + id + "/.cuttle/cancelled", "");
  EXPECT_EQ(open({{"mode", "detached"}})->status(id).state, JobState::kCancelled);
}

TEST_F(LocalSchedulerTest, RunningDetachedJobIsWatchedByANewSchedulerObject) {
  std::string id = open({{"mode", "detached"}})->submit(job("sleep", {"0.5"}));
  auto second = open({{"mode", "detached"}});
  JobStatus now = second->status(id);
  EXPECT_TRUE(now.running() || now.done()) << to_string(now.state);
  EXPECT_EQ(second->wait_until_done(id, 20s).state, JobState::kCompleted);
}

TEST_F(LocalSchedulerTest, ForgottenAttachedJobIsGoneAndAnActiveOneIsKept) {
  auto scheduler = open();
  const std::string finished = scheduler->submit(job("true"));
  const std::string running = scheduler->submit(job("sleep", {"30"}));
  ASSERT_EQ(scheduler->wait_until_done(finished, 20s).state, JobState::kCompleted);
  scheduler->forget(finished);
  scheduler->forget(running);
  // An attached job has no record outside this process: forgotten, it is unknown.
  EXPECT_THROW(scheduler->status(finished), NoSuchJob);
  EXPECT_EQ(scheduler->jobs(), std::vector<std::string>{running});
  EXPECT_EQ(scheduler->status(running).state, JobState::kRunning);
  scheduler->cancel(running);
  EXPECT_EQ(scheduler->wait_until_done(running, 20s).state, JobState::kCancelled);
}

TEST_F(LocalSchedulerTest, ForgottenDetachedJobAnswersFromItsSandbox) {
  auto scheduler = open({{"mode", "detached"}});
  const std::string id = scheduler->submit(job("sh", {"-c", "exit 7"}));
  ASSERT_TRUE(scheduler->wait_until_done(id, 20s).done());
  scheduler->forget(id);
  const JobStatus again = scheduler->status(id);
  EXPECT_EQ(again.state, JobState::kFailed);
  EXPECT_EQ(again.exit_code, std::optional<int>(7));
}

// A crash inside Sandbox::create leaves a hidden partial sandbox; the search for its name
// (what the REST service's recovery asks) removes it and leaves everyone else's alone.
TEST_F(LocalSchedulerTest, FindByNameFindsTheSandboxAndRemovesThePartialsOfItsName) {
  auto scheduler = open({{"mode", "detached"}});
  cuttle::JobDescription d = job("true");
  d.name = "lost answer";
  const std::string id = scheduler->submit(d);
  ASSERT_TRUE(scheduler->wait_until_done(id, 20s).done());
  const std::string mine = root_ + "/.c00000000001000000000" + Sandbox::partial_suffix(d.name);
  const std::string theirs = root_ + "/.c00000000002000000000" + Sandbox::partial_suffix("other");
  std::filesystem::create_directories(mine + "/.cuttle");
  std::filesystem::create_directories(theirs + "/.cuttle");
  // Sandboxes of the name whose wrapper never started: one whose submitter died (the
  // search removes it: the caller submits again), one whose submitter still runs (a submit
  // in flight: found, left alone).
  const std::string interrupted = root_ + "/c00000000003000000000";
  const std::string in_flight = root_ + "/c00000000004000000000";
  for (const auto& [dir, submitter] :
       {std::pair{interrupted, std::string("999999999 1")}, {in_flight, detail::local::submitter_record()}}) {
    std::filesystem::create_directories(dir + "/.cuttle");
    write_file(dir + "/.cuttle/name", d.name);
    write_file(dir + "/.cuttle/submitter", submitter);
  }
  EXPECT_EQ(open({{"mode", "detached"}})->find_by_name(d.name),
            (std::vector<std::string>{"c00000000004000000000", id}));
  EXPECT_FALSE(std::filesystem::exists(mine));
  EXPECT_TRUE(std::filesystem::exists(theirs));
  EXPECT_FALSE(std::filesystem::exists(interrupted));
  EXPECT_TRUE(std::filesystem::exists(in_flight));
  EXPECT_TRUE(std::filesystem::exists(root_ + "/" + id + "/.cuttle/name"));
}

TEST_F(LocalSchedulerTest, InvalidPropertiesAreRejected) {
  EXPECT_THROW(open({{"mode", "bogus"}}), InvalidArgument);
  EXPECT_THROW(open({{"cleanup", "sometimes"}}), InvalidArgument);
  EXPECT_THROW(open({{"max.concurrent", "-1"}}), InvalidArgument);
  EXPECT_THROW(open({{"sandbox.root", "relative/path"}}), InvalidArgument);
  EXPECT_THROW(open({{"no.such.property", "1"}}), InvalidArgument);
  EXPECT_THROW(open_scheduler("local://somehost"), InvalidArgument);
}

TEST_F(LocalSchedulerTest, CleanupAlwaysRemovesTheSandboxAfterStageOut) {
  auto scheduler = open({{"cleanup", "always"}});
  JobDescription d = job("/bin/sh", {"-c", "echo kept > result.txt"});
  d.stage_out.push_back({"result.txt", dir_ + "/result.txt"});
  std::string id = scheduler->submit(d);
  JobStatus status = scheduler->wait_until_done(id, 20s);
  EXPECT_EQ(status.state, JobState::kCompleted);
  EXPECT_EQ(read_file(dir_ + "/result.txt"), "kept\n");
  EXPECT_FALSE(std::filesystem::exists(status.scheduler_info.at("sandbox")));
}

TEST_F(LocalSchedulerTest, SpawnFailureNamesTheField) {
  auto scheduler = open();
  auto field_of = [&](const JobDescription& d) -> std::string {
    try {
      scheduler->submit(d);
    } catch (const InvalidJobDescription& e) {
      return e.field();
    }
    return "<accepted>";
  };
  EXPECT_EQ(field_of(job("/nonexistent/program")), "executable");
  EXPECT_EQ(field_of(job("no-such-program-in-path-xyz")), "executable");
  JobDescription wd = job("true");
  wd.working_directory = dir_ + "/missing";
  EXPECT_EQ(field_of(wd), "working_directory");
  JobDescription in = job("true");
  in.stdin_path = dir_ + "/missing-input";
  EXPECT_EQ(field_of(in), "stdin_path");
  EXPECT_TRUE(scheduler->jobs().empty()) << "a failed submit left a job behind";
}

TEST_F(LocalSchedulerTest, ManyRunningJobsStillGetTheirEnvironmentAndDirectory) {
  // Past about a thousand watched jobs spawns move to a thread with its own descriptor table.
  auto scheduler = open();
  std::vector<std::string> sleepers;
  for (int i = 0; i < 1100; ++i) sleepers.push_back(scheduler->submit(job("sleep", {"30"})));
  JobDescription d =
      job("/bin/sh", {"-c", "printf '%s' \"$CUTTLE_X\" > out.txt; ls /proc/self/fd"});
  d.environment = {{"CUTTLE_X", "value $(x)"}};
  d.working_directory = dir_;
  d.stderr_path = "err.txt";
  d.stdout_path = "fds.txt";
  EXPECT_EQ(scheduler->wait_until_done(scheduler->submit(d), 20s).state, JobState::kCompleted);
  EXPECT_EQ(read_file(dir_ + "/out.txt"), "value $(x)");
  // 0, 1, 2 and the one `ls` opens: no pidfd leaked into the job.
  std::istringstream fds(read_file(dir_ + "/fds.txt"));
  int count = 0;
  for (std::string line; std::getline(fds, line);) ++count;
  EXPECT_LE(count, 4);
  for (const auto& id : sleepers) scheduler->cancel(id);
  for (const auto& id : sleepers) {
    EXPECT_EQ(scheduler->wait_until_done(id, 20s).state, JobState::kCancelled);
  }
}

}  // namespace
}  // namespace cuttle
