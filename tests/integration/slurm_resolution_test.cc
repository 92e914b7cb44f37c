// How slurm:// resolves final states against the real Slurm of tests/env/slurm.sh
// (accounting off, MinJobAge 10 s):
//  - a job that finished and left the queue is reported with its true exit code, from
//    the wrapper's marker file, also by a scheduler object that never saw it run;
//  - slurmctld stopped mid-run for 30 s: calls fail with ConnectionFailed, no job changes
//    state, and everything resolves once it is back — restarted by tests/env/slurm.sh
//    while another process named slurmctld runs (issue 16: the script took any such
//    process for its own and never restarted the controller);
//  - a requeued job is Queued again and ends with its rerun's exit code;
//  - the sandbox is written while sbatch starts: a preparation that fails submits
//    nothing and leaves no sandbox, an sbatch whose submitter died before feeding it
//    submits nothing, and the submitter's record of the id follows the submit without
//    the scheduler object having to close.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "cuttle/cuttle.h"
#include "cuttle/sandbox.h"
#include "tests/unit/test_util.h"

namespace {

using namespace std::chrono_literals;

using ::cuttle::testing::env;

#define REQUIRE_SLURM()                                                                  \
  do {                                                                                   \
    if (env("CUTTLE_TEST_SLURM").empty()) {                                              \
      if (std::getenv("CI")) FAIL() << "Slurm is not running: tests/env/slurm.sh start"; \
      GTEST_SKIP() << "Slurm is not running: tests/env/slurm.sh start";                  \
    }                                                                                    \
  } while (0)

cuttle::JobDescription shell(const std::string& script) {
  return cuttle::testing::job("/bin/sh", {"-c", script});
}

// True while squeue lists the job, and also while squeue cannot answer (a controller
// that is down says nothing about whether the job left the queue).
bool in_queue(const std::string& id) {
  cuttle::LocalRunner runner;
  auto r = runner.run({"squeue", "--noheader", "--states=all", "--jobs=" + id, "--format=%i"});
  if (r.exit_code != 0) return r.stderr_text.find("Invalid job id") == std::string::npos;
  return r.stdout_text.find(id) != std::string::npos;
}

// The name of every job squeue lists, one per line (a test failure when it cannot answer).
std::string queued_job_names() {
  cuttle::LocalRunner runner;
  auto listed = runner.run({"squeue", "--noheader", "--states=all", "--format=%j"});
  EXPECT_EQ(listed.exit_code, 0) << listed.stderr_text;
  return listed.stdout_text;
}

std::string source_dir() {
  const std::string dir = env("CUTTLE_SOURCE_DIR");
  return dir.empty()
             ? std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string()
             : dir;
}

TEST(SlurmResolution, JobThatLeftTheQueueWithAccountingOffKeepsItsTrueExitCode) {
  REQUIRE_SLURM();
  std::string id;
  {
    // A poll interval longer than the job's stay in the queue: nobody sees it finish.
    auto first = cuttle::open_scheduler(
        "slurm://", {{{"poll.interval.min", "10m"}, {"poll.interval.max", "10m"}}, {}});
    id = first->submit(shell("exit 7"));
  }
  const auto give_up = std::chrono::steady_clock::now() + 90s;
  while (in_queue(id) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(1s);
  ASSERT_FALSE(in_queue(id)) << "the job did not leave the queue (MinJobAge)";
  auto second = cuttle::open_scheduler("slurm://");
  cuttle::JobStatus status = second->status(id);
  EXPECT_EQ(status.state, cuttle::JobState::kFailed) << status.reason;
  EXPECT_EQ(status.exit_code, std::optional<int>(7));
  EXPECT_NE(status.state, cuttle::JobState::kCompleted);
}

class Changes {
 public:
  void add(const cuttle::JobStatus& s) {
    std::lock_guard lock(mutex_);
    seen_.push_back(s);
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }
  std::vector<cuttle::JobStatus> since(std::size_t n) {
    std::lock_guard lock(mutex_);
    return {seen_.begin() + static_cast<long>(n), seen_.end()};
  }

 private:
  std::mutex mutex_;
  std::vector<cuttle::JobStatus> seen_;
};

// A process named slurmctld that is not ours (another cluster's controller, a container's):
// a copy of sleep(1) under that name, killed and reaped when the guard goes.
class DecoySlurmctld {
 public:
  DecoySlurmctld() {
    namespace fs = std::filesystem;
    dir_ = "/tmp/cuttle-decoy-" + std::to_string(::getpid());
    fs::create_directories(dir_);
    const std::string path = dir_ + "/slurmctld";
    fs::copy_file("/bin/sleep", path, fs::copy_options::overwrite_existing);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl(path.c_str(), "slurmctld", "600", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~DecoySlurmctld() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  DecoySlurmctld(const DecoySlurmctld&) = delete;
  DecoySlurmctld& operator=(const DecoySlurmctld&) = delete;
  pid_t pid() const { return pid_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

pid_t slurmctld_pid() {
  std::ifstream in("/tmp/cuttle-env/slurm/slurmctld.pid");
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

TEST(SlurmResolution, ControllerDownFor30SecondsChangesNothingAndResolvesAfter) {
  REQUIRE_SLURM();
  auto scheduler = cuttle::open_scheduler(
      "slurm://", {{{"poll.interval.min", "500ms"}, {"poll.interval.max", "2s"}}, {}});
  Changes changes;
  auto subscription = scheduler->subscribe([&](const cuttle::JobStatus& s) { changes.add(s); });
  const std::string finishes = scheduler->submit(shell("sleep 12; exit 3"));
  const std::string keeps_running = scheduler->submit(shell("sleep 300"));
  ASSERT_TRUE(scheduler->wait_until_running(finishes, 60s).running());
  ASSERT_TRUE(scheduler->wait_until_running(keeps_running, 60s).running());

  const pid_t pid = slurmctld_pid();
  ASSERT_GT(pid, 0) << "no slurmctld pid file";
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  std::this_thread::sleep_for(2s);
  const std::size_t before = changes.size();
  const auto back_at = std::chrono::steady_clock::now() + 30s;
  int failures = 0;
  while (std::chrono::steady_clock::now() < back_at) {
    try {
      scheduler->status(keeps_running);
      // Served from the cache only if it is final; a running job must ask Slurm.
      ADD_FAILURE() << "status of a running job answered while slurmctld was down";
    } catch (const cuttle::ConnectionFailed& e) {
      ++failures;
      EXPECT_TRUE(e.transient());
      EXPECT_NE(std::string(e.what()).find("slurm"), std::string::npos) << e.what();
    }
  }
  EXPECT_GE(failures, 1);
  for (const auto& s : changes.since(before)) {
    ADD_FAILURE() << "job " << s.id << " changed to " << cuttle::to_string(s.state)
                  << " while slurmctld was down";
  }
  DecoySlurmctld decoy;
  ASSERT_GT(decoy.pid(), 0);
  cuttle::LocalRunner runner;
  auto started = runner.run({source_dir() + "/tests/env/slurm.sh", "start"});
  ASSERT_EQ(started.exit_code, 0) << started.stderr_text;
  const pid_t restarted = slurmctld_pid();
  EXPECT_NE(restarted, decoy.pid()) << "the decoy was taken for our controller";
  EXPECT_NE(restarted, pid) << "the pid file still names the stopped controller";
  EXPECT_EQ(::kill(restarted, 0), 0) << "no controller runs under the pid file's pid";

  cuttle::JobStatus done = scheduler->wait_until_done(finishes, 120s);
  EXPECT_EQ(done.state, cuttle::JobState::kFailed) << done.reason;
  EXPECT_EQ(done.exit_code, std::optional<int>(3));
  EXPECT_EQ(scheduler->status(keeps_running).state, cuttle::JobState::kRunning);
  scheduler->cancel(keeps_running);
  EXPECT_EQ(scheduler->wait_until_done(keeps_running, 60s).state, cuttle::JobState::kCancelled);
}

// A submit whose answer a crash lost is found again by its name (find_by_name: what the
// REST service's recovery asks before it submits again) even after the queue forgot the
// job, because the job script recorded its own Slurm id; and a submit interrupted before
// Slurm had it leaves no orphan sandbox behind.
// A running job requeued by Slurm (`scontrol requeue`, as a preemption with
// PreemptMode=REQUEUE does) is Queued again, not ended by the TERM its first run got, and
// ends with its second run's own exit code — also for an object that never watched it.
TEST(SlurmResolution, ARequeuedJobIsQueuedAgainAndEndsWithItsRerunsExitCode) {
  REQUIRE_SLURM();
  auto scheduler = cuttle::open_scheduler(
      "slurm://", {{{"poll.interval.min", "200ms"}, {"poll.interval.max", "1s"}}, {}});
  // The first run is TERMed by the requeue; the second finds its own marker and exits 5.
  const std::string id =
      scheduler->submit(shell("if [ -e first-run ]; then exit 5; fi; : > first-run; sleep 60"));
  const cuttle::JobStatus running = scheduler->wait_until_running(id, 60s);
  ASSERT_EQ(running.state, cuttle::JobState::kRunning) << running.reason;
  const std::string sandbox = running.scheduler_info.at("sandbox");
  const auto give_up_marker = std::chrono::steady_clock::now() + 30s;
  while (!std::filesystem::exists(sandbox + "/first-run") &&
         std::chrono::steady_clock::now() < give_up_marker) {
    std::this_thread::sleep_for(100ms);
  }
  cuttle::LocalRunner runner;
  ASSERT_EQ(runner.run({"scontrol", "requeue", id}).exit_code, 0);
  // Slurm holds a requeued job back (BeginTime) for a while; let it start at once.
  std::this_thread::sleep_for(1s);
  const cuttle::JobStatus again = cuttle::open_scheduler("slurm://")->status(id);
  EXPECT_FALSE(again.done()) << to_string(again.state) << ": " << again.reason;
  ASSERT_EQ(runner.run({"scontrol", "update", "JobId=" + id, "StartTime=now"}).exit_code, 0);
  const cuttle::JobStatus status = scheduler->wait_until_done(id, 90s);
  EXPECT_EQ(status.state, cuttle::JobState::kFailed) << status.reason;
  EXPECT_EQ(status.exit_code, std::optional<int>(5)) << status.reason;
  const cuttle::JobStatus fresh = cuttle::open_scheduler("slurm://")->status(id);
  EXPECT_EQ(fresh.exit_code, std::optional<int>(5)) << fresh.reason;
}

TEST(SlurmResolution, FindByNameFindsAJobTheQueueForgotAndRemovesAnInterruptedSubmit) {
  REQUIRE_SLURM();
  namespace fs = std::filesystem;
  const std::string root = "/tmp/cuttle-slurm-find-" + std::to_string(::getpid());
  fs::remove_all(root);
  const cuttle::SchedulerOptions options{
      {{"sandbox.root", root}, {"poll.interval.min", "10m"}, {"poll.interval.max", "10m"}}, {}};
  std::string id;
  {
    auto first = cuttle::open_scheduler("slurm://", options);
    cuttle::JobDescription d = shell("exit 0");
    d.name = "lost-answer";
    d.scheduler_arguments = {"--hold"};
    id = first->submit(d);
  }
  std::string backend;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::exists(entry.path() / ".cuttle" / "backend"))
      backend = entry.path() / ".cuttle" / "backend";
  }
  ASSERT_FALSE(backend.empty()) << "the submitter recorded no backend id";
  fs::remove(backend);  // as if the submitter died before it wrote the id down
  cuttle::LocalRunner runner;
  ASSERT_EQ(runner.run({"scontrol", "release", id}).exit_code, 0);
  const auto give_up = std::chrono::steady_clock::now() + 90s;
  while (in_queue(id) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(1s);
  ASSERT_FALSE(in_queue(id)) << "the job did not leave the queue (MinJobAge)";
  std::ifstream recorded(backend);
  std::string line;
  std::getline(recorded, line);
  EXPECT_EQ(line, id) << "the job script did not record its own id";

  const std::string interrupted = root + "/c00000000001000000000";
  fs::create_directories(interrupted + "/.cuttle");
  std::ofstream(interrupted + "/.cuttle/job_name") << "lost-answer.c00000000001000000000\n";

  // A crash inside Sandbox::create: a partial of this name, and another's that stays.
  const std::string partial =
      root + "/.c00000000002000000000" + cuttle::Sandbox::partial_suffix("lost-answer");
  const std::string others =
      root + "/.c00000000003000000000" + cuttle::Sandbox::partial_suffix("other");
  fs::create_directories(partial + "/.cuttle");
  fs::create_directories(others);

  auto second = cuttle::open_scheduler("slurm://", options);
  EXPECT_EQ(second->find_by_name("lost-answer"), std::vector<std::string>{id});
  EXPECT_FALSE(fs::exists(interrupted)) << "the interrupted submit's sandbox was left behind";
  EXPECT_FALSE(fs::exists(partial)) << "the partial sandbox of the name was left behind";
  EXPECT_TRUE(fs::exists(others)) << "another name's partial sandbox was removed";
  EXPECT_EQ(second->status(id).state, cuttle::JobState::kCompleted);
  fs::remove_all(root);
}

// sbatch reads the job script from stdin while the sandbox is being written; the script
// is fed only once the sandbox is whole, so a preparation that fails must leave neither a
// job in the queue nor a sandbox behind.
TEST(SlurmResolution, ASubmitWhosePreparationFailsSubmitsNothingAndLeavesNoSandbox) {
  REQUIRE_SLURM();
  namespace fs = std::filesystem;
  const std::string root = "/tmp/cuttle-slurm-prep-" + std::to_string(::getpid());
  fs::remove_all(root);
  auto scheduler = cuttle::open_scheduler("slurm://", {{{"sandbox.root", root}}, {}});
  const std::string name = "prep-fails-" + std::to_string(::getpid());
  cuttle::JobDescription missing = shell("exit 0");
  missing.name = name;
  missing.stage_in.push_back({root + "-no-such-input", "in.txt"});
  EXPECT_THROW(scheduler->submit(missing), cuttle::Error);
  cuttle::JobDescription escaping = shell("exit 0");
  escaping.name = name;
  const std::string source = root + "-input";
  std::ofstream(source) << "x";
  escaping.stage_in.push_back({source, "../escape.txt"});
  try {
    scheduler->submit(escaping);
    ADD_FAILURE() << "an escaping stage-in destination was accepted";
  } catch (const cuttle::InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "stage_in[0].destination");
  }
  fs::remove(source);
  const std::string queued = queued_job_names();
  EXPECT_EQ(queued.find(name), std::string::npos)
      << "a job was submitted though its preparation failed:\n"
      << queued;
  std::vector<std::string> left;
  if (fs::exists(root)) {
    for (const auto& entry : fs::directory_iterator(root)) left.push_back(entry.path().string());
  }
  EXPECT_TRUE(left.empty()) << "left behind: " << (left.empty() ? "" : left.front());
  fs::remove_all(root);
}

// The overlap relies on sbatch refusing an empty script: a submitter killed while it
// prepares the sandbox closes sbatch's stdin unfed, and no job may come of it.
TEST(SlurmResolution, AnSbatchWhoseSubmitterDiesBeforeFeedingItSubmitsNothing) {
  REQUIRE_SLURM();
  // The submitter is a death test in a freshly executed copy of this binary (no fork of a
  // process with threads); it re-runs this test from the top and inherits the name.
  const char* inherited = std::getenv("CUTTLE_TEST_UNFED_NAME");
  const std::string name = inherited ? inherited : "unfed-" + std::to_string(::getpid());
  ::setenv("CUTTLE_TEST_UNFED_NAME", name.c_str(), 1);
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        cuttle::LocalRunner submitter;
        submitter.run_with_input({"sbatch", "--parsable", "--hold", "--job-name=" + name},
                                 []() -> std::string {
                                   ::raise(SIGKILL);  // dies while "preparing"
                                   return "#!/bin/sh\ntrue\n";
                                 });
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  ::unsetenv("CUTTLE_TEST_UNFED_NAME");
  cuttle::LocalRunner runner;
  // The orphaned sbatch sees end of file and gives up; wait until no process has the name.
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  const std::vector<std::string> find_sbatch = {"pgrep", "-f", "job-name=" + name};
  while (runner.run(find_sbatch).exit_code == 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runner.run(find_sbatch).exit_code, 1) << "sbatch is still waiting for its script";
  const std::string queued = queued_job_names();
  EXPECT_EQ(queued.find(name), std::string::npos) << "an unfed sbatch submitted a job:\n" << queued;
}

TEST(SlurmResolution, TheSubmitterRecordsTheIdWhileTheSchedulerLives) {
  REQUIRE_SLURM();
  namespace fs = std::filesystem;
  const std::string root = "/tmp/cuttle-slurm-record-" + std::to_string(::getpid());
  fs::remove_all(root);
  auto scheduler = cuttle::open_scheduler(
      "slurm://",
      {{{"sandbox.root", root}, {"poll.interval.min", "200ms"}, {"poll.interval.max", "1s"}}, {}});
  cuttle::JobDescription d = shell("exit 0");
  d.scheduler_arguments = {"--hold"};  // never runs: only the submitter can record the id
  const std::string id = scheduler->submit(d);
  const std::string backend =
      scheduler->status(id).scheduler_info.at("sandbox") + "/.cuttle/backend";
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (!fs::exists(backend) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(50ms);
  std::ifstream recorded(backend);
  std::string line;
  std::getline(recorded, line);
  EXPECT_EQ(line, id) << "the submitter did not record the id within 20 s";
  scheduler->cancel(id);
  scheduler.reset();
  fs::remove_all(root);
}

}  // namespace
