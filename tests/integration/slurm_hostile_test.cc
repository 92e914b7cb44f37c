// Hostile input through slurm:// against the real Slurm of tests/env/slurm.sh: job
// names, paths with quotes, $(...), '%' (which Slurm expands in its own file names) and
// newlines (refused where they would end a directive); plus extend and queues.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cuttle/cuttle.h"
#include "tests/unit/test_util.h"

namespace {

using namespace std::chrono_literals;
using cuttle::testing::read_file;

#define REQUIRE_SLURM()                                                                  \
  do {                                                                                   \
    if (!std::getenv("CUTTLE_TEST_SLURM")) {                                             \
      if (std::getenv("CI")) FAIL() << "Slurm is not running: tests/env/slurm.sh start"; \
      GTEST_SKIP() << "Slurm is not running: tests/env/slurm.sh start";                  \
    }                                                                                    \
  } while (0)

class SlurmHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cuttle-slurm-hostile-" + std::to_string(::getpid()) + " 'q' $(x)");
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::shared_ptr<cuttle::Scheduler> open() {
    return cuttle::open_scheduler(
        "slurm://",
        {{{"sandbox.root", (dir_ / "jobs").string()}, {"poll.interval.min", "250ms"}}, {}});
  }
  std::filesystem::path dir_;
};

TEST_F(SlurmHostile, HostileNameIsFoundByNameAndNeverReachesAShell) {
  REQUIRE_SLURM();
  auto s = open();
  cuttle::JobDescription d;
  d.name = "n'; touch " + (dir_ / "canary").string() + " # $(id) `id` %j *";
  d.executable = "true";
  const std::string id = s->submit(d);
  EXPECT_EQ(s->wait_until_done(id, 60s).state, cuttle::JobState::kCompleted);
  EXPECT_EQ(s->find_by_name(d.name), std::vector<std::string>{id});
  EXPECT_FALSE(std::filesystem::exists(dir_ / "canary"));
}

TEST_F(SlurmHostile, PathsWithQuotesDollarsAndPercentArriveLiterally) {
  REQUIRE_SLURM();
  auto s = open();
  const std::filesystem::path wd = dir_ / "w d 'q' $(touch x) %j %%";
  std::filesystem::create_directories(wd);
  cuttle::JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "pwd; echo err >&2"};
  d.working_directory = wd.string();
  d.stdout_path = "out %j $(x) 'q'.txt";
  d.stderr_path = "err %u.txt";
  const std::string id = s->submit(d);
  ASSERT_EQ(s->wait_until_done(id, 60s).state, cuttle::JobState::kCompleted);
  EXPECT_EQ(read_file(wd / "out %j $(x) 'q'.txt"), wd.string() + "\n");
  EXPECT_EQ(read_file(wd / "err %u.txt"), "err\n");
  EXPECT_FALSE(std::filesystem::exists(wd / "x"));
}

TEST_F(SlurmHostile, NewlineInADirectiveValueIsRefusedNamingTheField) {
  REQUIRE_SLURM();
  auto s = open();
  cuttle::JobDescription d;
  d.executable = "true";
  d.working_directory = (dir_ / "a\n#SBATCH --uid=0").string();
  try {
    s->submit(d);
    FAIL() << "accepted";
  } catch (const cuttle::InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "working_directory");
  }
  d.working_directory.clear();
  d.queue = "debug\n#SBATCH --uid=0";
  try {
    s->submit(d);
    FAIL() << "accepted";
  } catch (const cuttle::InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "queue");
  }
}

TEST_F(SlurmHostile, PassThroughArgumentsReachSbatch) {
  REQUIRE_SLURM();
  auto s = open();
  cuttle::JobDescription d;
  d.executable = "true";
  d.scheduler_arguments = {"--comment=it's $(not run)"};
  const std::string id = s->submit(d);
  cuttle::LocalRunner runner;
  auto r = runner.run({"squeue", "--noheader", "--states=all", "--jobs=" + id, "--format=%k"});
  EXPECT_EQ(r.stdout_text, "it's $(not run)\n");
  s->wait_until_done(id, 60s);
}

TEST_F(SlurmHostile, ExtendRaisesTheTimeLimit) {
  REQUIRE_SLURM();
  auto s = open();
  cuttle::JobDescription d;
  d.executable = "sleep";
  d.arguments = {"300"};
  d.max_runtime = 120s;
  const std::string id = s->submit(d);
  ASSERT_TRUE(s->wait_until_running(id, 60s).running());
  cuttle::LocalRunner runner;
  const auto limit = [&] {
    return runner.run({"squeue", "--noheader", "--jobs=" + id, "--format=%l"}).stdout_text;
  };
  // Slurm's limit is a backstop behind the wrapper's own deadline: max_runtime +
  // cancel.grace (5 s) + 60 s, in whole minutes: 185 s -> 4:00, after +60 s -> 5:00.
  EXPECT_EQ(limit(), "4:00\n");
  s->extend(id, 60s);
  EXPECT_EQ(limit(), "5:00\n");
  s->cancel(id);
  EXPECT_EQ(s->wait_until_done(id, 60s).state, cuttle::JobState::kCancelled);
}

TEST_F(SlurmHostile, QueuesListPartitionsWithTheDefault) {
  REQUIRE_SLURM();
  auto queues = open()->queues();
  ASSERT_FALSE(queues.empty());
  int defaults = 0;
  for (const auto& q : queues) defaults += q.is_default ? 1 : 0;
  EXPECT_EQ(defaults, 1);
}

}  // namespace
