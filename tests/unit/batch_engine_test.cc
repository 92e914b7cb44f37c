// The batch engine against a scripted Slurm (a CommandRunner that answers sbatch,
// squeue, sacct and scancel from a table and really runs each job's script, so the
// wrapper writes real marker files). Shows: one status command for many jobs, a job
// that left the queue resolved from its marker, lost after grace, scheduler down.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "adaptors/batch/batch_scheduler.h"
#include "adaptors/batch/text.h"
#include "adaptors/slurm/slurm_dialect.h"
#include "cuttle/error.h"

namespace cuttle::detail {
namespace {

using namespace std::chrono_literals;

class FakeSlurm : public CommandRunner {
 public:
  struct Job {
    std::string name;
    std::string state;
  };

  CommandResult run(const std::vector<std::string>& argv, const CommandOptions& options) override {
    const std::string& command = argv.front();
    {
      std::lock_guard lock(mutex_);
      calls_[command]++;
      log_.push_back(argv);
    }
    if (command == "/bin/sh") {  // marker reads
      if (markers_fail_) return {1, "", "sh: cannot read the sandbox (I/O error)\n"};
      return local_.run(argv, options);
    }
    if (down_)
      return {1, "", command + ": error: Unable to contact slurm controller (connect failure)\n"};
    if (command == "sbatch") return sbatch(options.stdin_text);
    if (command == "squeue") return squeue(argv);
    if (command == "sacct") return {1, "", "Slurm accounting storage is disabled\n"};
    if (command == "scancel") {
      std::lock_guard lock(mutex_);
      auto it = jobs_.find(argv[1]);
      if (it != jobs_.end() && it->second.state == "PENDING") it->second.state = "CANCELLED";
      return {0, "", ""};
    }
    return {127, "", command + ": not found"};
  }
  std::string describe() const override { return "fake-slurm"; }

  int calls(const std::string& command) {
    std::lock_guard lock(mutex_);
    return calls_[command];
  }
  std::vector<std::vector<std::string>> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }
  void purge(const std::string& id) {
    std::lock_guard lock(mutex_);
    jobs_.erase(id);
  }
  void set_state(const std::string& id, const std::string& state) {
    std::lock_guard lock(mutex_);
    jobs_[id].state = state;
  }
  std::atomic<bool> down_{false};
  std::atomic<bool> run_jobs_{true};
  std::atomic<bool> markers_fail_{false};

 private:
  CommandResult sbatch(const std::string& script) {
    std::smatch m;
    std::regex name_re("--job-name=([^\\n]*)");
    std::string name;
    if (std::regex_search(script, m, name_re)) name = m[1];
    std::erase(name, '\'');  // our names are [A-Za-z0-9._-], quoted by quote()
    std::string id;
    {
      std::lock_guard lock(mutex_);
      id = std::to_string(++next_id_);
      jobs_[id] = {name, "PENDING"};
    }
    if (run_jobs_) {
      const CommandResult r = local_.run({"/bin/sh", "-c", script}, {});
      set_state(id, r.exit_code == 0 ? "COMPLETED" : "FAILED");
    }
    return {0, id + "\n", ""};
  }

  CommandResult squeue(const std::vector<std::string>& argv) {
    std::string ids;
    for (const std::string& a : argv) {
      if (a.rfind("--jobs=", 0) == 0) ids = a.substr(7);
    }
    std::string out;
    std::lock_guard lock(mutex_);
    if (ids.empty()) {  // a listing: every job
      for (const auto& [id, job] : jobs_) ids += (ids.empty() ? "" : ",") + id;
    }
    std::stringstream list(ids);
    for (std::string id; std::getline(list, id, ',');) {
      auto it = jobs_.find(std::string(id));
      if (it == jobs_.end()) continue;
      const char s = '\x1f';
      out += it->first + s + it->second.state + s + "None" + s + "N/A" + s + "N/A" + s + "N/A" + s +
             "UNLIMITED" + s + "debug" + s + it->second.name + "\n";
    }
    return {0, out, ""};
  }

  LocalRunner local_;
  std::mutex mutex_;
  int next_id_ = 100;
  std::map<std::string, Job> jobs_;
  std::map<std::string, int> calls_;
  std::vector<std::vector<std::string>> log_;
};

class BatchEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("cuttle-batch-engine-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    fake_ = std::make_shared<FakeSlurm>();
  }
  void TearDown() override {
    scheduler_.reset();
    std::filesystem::remove_all(root_);
  }
  std::shared_ptr<BatchScheduler> open(std::chrono::milliseconds grace = 60s) {
    BatchSettings settings;
    settings.poll_min = 50ms;
    settings.poll_max = 200ms;
    settings.lost_grace = grace;
    settings.sandbox_root = (root_ / "jobs").string();
    scheduler_ = std::make_shared<BatchScheduler>("slurm", Location::parse("slurm://"),
                                                  std::make_unique<slurm::SlurmDialect>(), fake_,
                                                  std::make_shared<LocalFileSystem>(), settings);
    return scheduler_;
  }
  JobDescription shell(const std::string& script) {
    JobDescription d;
    d.executable = "/bin/sh";
    d.arguments = {"-c", script};
    return d;
  }

  std::filesystem::path root_;
  std::shared_ptr<FakeSlurm> fake_;
  std::shared_ptr<BatchScheduler> scheduler_;
};

TEST_F(BatchEngineTest, OneStatusCommandAnswersForManyJobs) {
  fake_->run_jobs_ = false;
  auto s = open();
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(s->submit(shell("sleep 100")));
  const int before = fake_->calls("squeue");
  const std::size_t logged = fake_->log().size();
  auto statuses = s->statuses(ids);
  // Its own command, and at most one round of the poller (every 200 ms here) that may run
  // beside it (it did under ASan); every one of them covers all 40 jobs (checked below),
  // so no job costs a command of its own.
  EXPECT_GE(fake_->calls("squeue") - before, 1);
  EXPECT_LE(fake_->calls("squeue") - before, 2);
  for (const JobStatus& st : statuses) EXPECT_EQ(st.state, JobState::kQueued);
  // The poller also asks once per round for every job.
  std::this_thread::sleep_for(600ms);
  const auto log = fake_->log();
  for (std::size_t i = logged; i < log.size(); ++i) {
    const auto& argv = log[i];
    if (argv.front() != "squeue") continue;
    for (const std::string& a : argv) {
      if (a.rfind("--jobs=", 0) == 0) {
        EXPECT_EQ(std::count(a.begin(), a.end(), ',') + 1, 40);
      }
    }
  }
}

TEST_F(BatchEngineTest, JobThatLeftTheQueueReportsItsTrueExitCodeFromTheMarker) {
  auto s = open();
  const std::string id = s->submit(shell("exit 5"));
  fake_->purge(id);  // accounting off, queue forgot it
  JobStatus st = s->wait_until_done(id, 10s);
  EXPECT_EQ(st.state, JobState::kFailed);
  EXPECT_EQ(st.exit_code, 5);
  EXPECT_EQ(fake_->calls("sacct"), 1) << "accounting is probed once";
}

TEST_F(BatchEngineTest, FailedInQueueGetsTheExitCodeFromTheMarker) {
  auto s = open();
  const std::string id = s->submit(shell("exit 7"));
  JobStatus st = s->wait_until_done(id, 10s);
  EXPECT_EQ(st.state, JobState::kFailed);
  EXPECT_EQ(st.native_state, "FAILED");
  EXPECT_EQ(st.exit_code, 7);
}

TEST_F(BatchEngineTest, VanishedJobWithoutMarkerIsLostAfterGraceNeverCompleted) {
  fake_->run_jobs_ = false;
  auto s = open(300ms);
  const std::string id = s->submit(shell("true"));
  fake_->purge(id);
  EXPECT_NE(s->status(id).state, JobState::kCompleted);
  JobStatus st = s->wait_until_done(id, 10s);
  EXPECT_EQ(st.state, JobState::kError);
  EXPECT_EQ(st.reason, "lost");
}

TEST_F(BatchEngineTest, SchedulerDownFailsClearlyAndNoJobChangesState) {
  fake_->run_jobs_ = false;
  auto s = open(100ms);
  const std::string id = s->submit(shell("true"));
  fake_->down_ = true;
  fake_->purge(id);
  EXPECT_THROW(s->status(id), ConnectionFailed);
  std::this_thread::sleep_for(500ms);  // several failed polls, longer than the grace
  fake_->down_ = false;
  fake_->set_state(id, "RUNNING");
  EXPECT_EQ(s->status(id).state, JobState::kRunning);
}

// Slurm says CANCELLED, but the wrapper's record cannot be read this time (a loaded or
// flaky file system): no state is decided from the scheduler's word alone, which a later
// reader of the record could contradict. The record decides once it can be read.
TEST_F(BatchEngineTest, AnUnreadableRecordIsNoAnswerNeverTheSchedulersGuess) {
  fake_->run_jobs_ = false;
  auto s = open();
  const std::string id = s->submit(shell("sleep 100"));
  const std::string sandbox = s->status(id).scheduler_info.at("sandbox");
  fake_->set_state(id, "CANCELLED");
  fake_->markers_fail_ = true;
  EXPECT_THROW(s->status(id), CommandFailed);
  std::this_thread::sleep_for(400ms);  // polls that failed the same way
  fake_->markers_fail_ = false;
  std::ofstream(sandbox + "/.cuttle/cancelled").flush();
  std::ofstream(sandbox + "/.cuttle/exit") << "143 cancel\n";
  const JobStatus st = s->status(id);
  EXPECT_EQ(st.state, JobState::kCancelled) << st.reason;
  EXPECT_EQ(st.exit_code, std::optional<int>(143)) << st.reason;
}

TEST_F(BatchEngineTest, HostileArgumentsAndEnvironmentReachTheJobUnchanged) {
  auto s = open();
  JobDescription d;
  d.name = "x'; rm -rf / # $(id) `id` *";
  d.executable = "/bin/sh";
  const std::string hostile = "a'b\"c $(echo no) `echo no` *; \\ \n end";
  d.arguments = {"-c", "printf '%s|%s' \"$1\" \"$V\"", "sh", hostile};
  d.environment = {{"V", hostile}};
  d.stdout_path = "out.txt";
  const std::string id = s->submit(d);
  JobStatus st = s->wait_until_done(id, 10s);
  ASSERT_EQ(st.state, JobState::kCompleted) << st.reason;
  const std::string sandbox = st.scheduler_info.at("sandbox");
  LocalFileSystem files;
  EXPECT_EQ(files.read_file(sandbox + "/out.txt"), hostile + "|" + hostile);
}

TEST_F(BatchEngineTest, NewlineInSchedulerArgumentIsRefusedBeforeSubmit) {
  auto s = open();
  JobDescription d = shell("true");
  d.scheduler_arguments = {"--comment=x\n#SBATCH --uid=0"};
  EXPECT_THROW(s->submit(d), InvalidJobDescription);
  EXPECT_EQ(fake_->calls("sbatch"), 0);
}

TEST_F(BatchEngineTest, CancelOfFinishedJobIsNoOp) {
  auto s = open();
  const std::string id = s->submit(shell("exit 0"));
  JobStatus done = s->wait_until_done(id, 10s);
  ASSERT_EQ(done.state, JobState::kCompleted);
  EXPECT_EQ(s->cancel(id).state, JobState::kCompleted);
  EXPECT_EQ(s->cancel(id).state, JobState::kCompleted);
}

TEST_F(BatchEngineTest, CancelOfQueuedJobIsCancelled) {
  fake_->run_jobs_ = false;
  auto s = open();
  const std::string id = s->submit(shell("sleep 100"));
  EXPECT_EQ(s->cancel(id).state, JobState::kCancelled);
}

TEST_F(BatchEngineTest, UnknownIdIsNoSuchJob) {
  auto s = open();
  EXPECT_THROW(s->status("999999"), NoSuchJob);
}

TEST_F(BatchEngineTest, FindByNameFindsASubmitByItsName) {
  fake_->run_jobs_ = false;
  auto s = open();
  JobDescription d = shell("true");
  d.name = "rest-job-17";
  const std::string id = s->submit(d);
  d.name = "rest-job-18";
  s->submit(d);
  EXPECT_EQ(s->find_by_name("rest-job-17"), std::vector<std::string>{id});
}

}  // namespace
}  // namespace cuttle::detail
