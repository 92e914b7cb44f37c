// A submit while the controller is busy (issue 14, part 5): the engine backs off and tries
// again instead of failing the job, first asking whether the try before reached the
// controller after all; with submit.busy.wait=0 it fails at once, as before. The
// controller is a scripted runner: a busy sbatch is an answer, not a state to set up.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>

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
