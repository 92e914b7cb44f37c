// A submit while the controller is busy (issue 14, part 5): the engine backs off and tries
// again instead of failing the job, first asking whether the try before reached the
// controller after all; with submit.busy.wait=0 it fails at once, as before. The
// controller is a scripted runner: a busy sbatch is an answer, not a state to set up.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "adaptors/batch/batch_scheduler.h"
#include "adaptors/slurm/slurm_dialect.h"
#include "adaptors/slurm/slurm_states.h"
#include "cuttle/error.h"
#include "tests/unit/test_util.h"

namespace cuttle::detail {
namespace {

using namespace std::chrono_literals;

// sbatch answers "busy" `busy` times, then submits as 4242; squeue lists nothing.
class BusySlurm : public CommandRunner {
 public:
  explicit BusySlurm(int busy) : busy_(busy) {}
  CommandResult run(const std::vector<std::string>& argv, const CommandOptions& options) override {
    std::lock_guard lock(mutex_);
    log_.push_back(argv.front());
    if (argv.front() == "/bin/sh") return LocalRunner().run(argv, options);
    if (argv.front() == "squeue") return {0, "", ""};
    if (argv.front() == "sbatch" && busy_-- > 0) {
      return {1, "",
              "sbatch: error: Batch job submission failed: Resource temporarily unavailable\n"};
    }
    if (argv.front() == "sbatch") return {0, "4242\n", ""};
    return {0, "", ""};
  }
  std::string describe() const override { return "busy-slurm"; }
  std::vector<std::string> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  std::mutex mutex_;
  int busy_;
  std::vector<std::string> log_;
};

std::shared_ptr<BatchScheduler> open(const std::shared_ptr<BusySlurm>& runner,
                                     const std::string& root, std::chrono::milliseconds wait) {
  BatchSettings settings;
  settings.sandbox_root = root;
  settings.submit_busy_wait = wait;
  return std::make_shared<BatchScheduler>("slurm", Location::parse("slurm://"),
                                          std::make_unique<slurm::SlurmDialect>(), runner,
                                          std::make_shared<LocalFileSystem>(), settings);
}

TEST(BatchGentleness, ABusyControllerDelaysTheSubmitInsteadOfFailingIt) {
  testing::TempDir dir;
  JobDescription d = testing::job("/bin/true", {});
  auto busy_once = std::make_shared<BusySlurm>(1);
  EXPECT_EQ(open(busy_once, dir.path() + "/a", 30s)->submit(d), "4242");
  // sbatch (busy), the queue asked for our job name (not there), sbatch again.
  std::vector<std::string> commands;
  for (const std::string& c : busy_once->log()) {
    if (c != "/bin/sh") commands.push_back(c);
  }
  EXPECT_EQ(commands, (std::vector<std::string>{"sbatch", "squeue", "sbatch"}));

  auto always_busy = std::make_shared<BusySlurm>(1000);
  EXPECT_THROW(open(always_busy, dir.path() + "/b", 0ms)->submit(d), ConnectionFailed);
}

// sbatch submits 1, 2, 3, ...; squeue lists each RUNNING until finish() marks it COMPLETED.
class CountingSlurm : public CommandRunner {
 public:
  CommandResult run(const std::vector<std::string>& argv, const CommandOptions& options) override {
    if (argv.front() == "/bin/sh") return LocalRunner().run(argv, options);
    std::lock_guard lock(mutex_);
    if (argv.front() == "sbatch") {
      submitted_.push_back(std::chrono::steady_clock::now());
      return {0, std::to_string(submitted_.size()) + "\n", ""};
    }
    if (argv.front() != "squeue") return {0, "", ""};
    std::string out;
    for (std::size_t id = 1; id <= submitted_.size(); ++id) {
      const char* state = finished_.count(id) ? "COMPLETED" : "RUNNING";
      const std::string f = "\x1f";  // squeue's field separator (kSqueueFormat)
      out += std::to_string(id) + f + state + f + "None" + f + "N/A" + f + "N/A" + f + "N/A" + f +
             "UNLIMITED" + f + "debug" + f + "job\n";
    }
    return {0, out, ""};
  }
  std::string describe() const override { return "counting-slurm"; }
  void finish(std::size_t id) {
    std::lock_guard lock(mutex_);
    finished_.insert(id);
  }
  std::vector<std::chrono::steady_clock::time_point> submitted() {
    std::lock_guard lock(mutex_);
    return submitted_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::chrono::steady_clock::time_point> submitted_;
  std::set<std::size_t> finished_;
};

std::shared_ptr<BatchScheduler> open_limited(const std::shared_ptr<CountingSlurm>& runner,
                                             const std::string& root,
                                             std::chrono::milliseconds interval,
                                             std::int64_t in_flight) {
  BatchSettings settings;
  settings.sandbox_root = root;
  settings.poll_min = 50ms;
  settings.poll_max = 100ms;
  settings.submit_interval = interval;
  settings.max_in_flight = in_flight;
  return std::make_shared<BatchScheduler>("slurm", Location::parse("slurm://"),
                                          std::make_unique<slurm::SlurmDialect>(), runner,
                                          std::make_shared<LocalFileSystem>(), settings);
}

TEST(BatchGentleness, ASubmitBeyondTheInFlightBoundWaitsForAJobToFinish) {
  testing::TempDir dir;
  auto slurm = std::make_shared<CountingSlurm>();
  auto scheduler = open_limited(slurm, dir.path(), 0ms, 1);
  const JobDescription d = testing::job("/bin/true", {});
  EXPECT_EQ(scheduler->submit(d), "1");
  std::string second;
  std::thread waiting([&] { second = scheduler->submit(d); });
  // Not submitted while job 1 runs (several poll rounds long).
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(slurm->submitted().size(), 1u);
  slurm->finish(1);
  waiting.join();
  EXPECT_EQ(second, "2");
}

TEST(BatchGentleness, SubmitsAreSpacedBySubmitInterval) {
  testing::TempDir dir;
  auto slurm = std::make_shared<CountingSlurm>();
  auto scheduler = open_limited(slurm, dir.path(), 200ms, 0);
  const JobDescription d = testing::job("/bin/true", {});
  for (int i = 0; i < 3; ++i) scheduler->submit(d);
  const auto at = slurm->submitted();
  ASSERT_EQ(at.size(), 3u);
  EXPECT_GE(at[1] - at[0], 190ms);
  EXPECT_GE(at[2] - at[1], 190ms);
}

// Requeue and preemption are not final; a node failure is Error (the retry limit applies).
TEST(BatchGentleness, RequeueAndPreemptionAreNotFinalAndANodeFailureIsError) {
  for (const char* word : {"PREEMPTED", "REQUEUED", "REQUEUE_HOLD"}) {
    ASSERT_TRUE(slurm::map_state(word)) << word;
    EXPECT_EQ(slurm::map_state(word)->state, JobState::kQueued) << word;
  }
  EXPECT_EQ(slurm::map_state("NODE_FAIL")->state, JobState::kError);
}

}  // namespace
}  // namespace cuttle::detail
