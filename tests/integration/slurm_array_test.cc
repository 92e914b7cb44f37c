// Issue 14's acceptance for arrays on the real Slurm of tests/env/slurm.sh: a 100-element
// array with %5 is one sbatch, runs at most 5 elements at once, and reports each element's
// own exit code; a process that did not submit it resolves the array and its elements from
// the queue, the elements' markers and the array's record in its sandbox.
#include <gtest/gtest.h>

#include "cuttle/cuttle.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;

TEST(SlurmArray, HundredElementsUnderPercentFiveEachWithItsOwnExitCode) {
  if (testing::env("CUTTLE_TEST_SLURM").empty()) {
    if (testing::in_ci()) FAIL() << "CUTTLE_TEST_SLURM is not set: start tests/env/slurm.sh";
    GTEST_SKIP() << "CUTTLE_TEST_SLURM is not set: eval \"$(tests/env/slurm.sh start)\"";
  }
  testing::TempDir dir;
  const std::map<std::string, std::string> properties = {{"sandbox.root", dir.path() + "/jobs"},
                                                         {"poll.interval.max", "1s"}};
  auto scheduler = open_scheduler("slurm://", {properties, {}});
  // Each element notes how many elements were running when it started, overlaps the next
  // ones for a moment, and exits with its index modulo 7.
  JobDescription d = testing::job(
      "/bin/sh", {"-c",
                  "d=$1; i=$CUTTLE_ARRAY_INDEX; [ \"$i\" = \"$SLURM_ARRAY_TASK_ID\" ] || exit 99\n"
                  ": > \"$d/running.$i\"; ls \"$d\" | grep -c '^running\\.' > \"$d/seen.$i\"\n"
                  "sleep 0.3; rm -f \"$d/running.$i\"; exit $((i % 7))",
                  "sh", dir.path()});
  d.array = ArraySpec::parse("0-99%5");
  const std::string id = scheduler->submit(d);
  const JobStatus done = scheduler->wait_until_done(id, 240s);
  ASSERT_TRUE(done.done()) << done.reason;
  EXPECT_EQ(done.state, JobState::kFailed);
  EXPECT_EQ(done.exit_code, 6);
  ASSERT_EQ(done.array_elements.size(), 100u);
  int most = 0;
  for (const ArrayElementStatus& element : done.array_elements) {
    EXPECT_EQ(element.exit_code, element.index % 7) << "element " << element.index;
    EXPECT_EQ(element.state, element.index % 7 == 0 ? JobState::kCompleted : JobState::kFailed);
    const std::string seen =
        testing::read_file(dir.path() + "/seen." + std::to_string(element.index));
    ASSERT_FALSE(seen.empty()) << "element " << element.index << " did not run";
    most = std::max(most, std::stoi(seen));
  }
  EXPECT_LE(most, 5) << "the throttle let more than 5 elements run at once";

  // Another process: only the ids, nothing in memory.
  auto other = open_scheduler("slurm://", {properties, {}});
  const JobStatus again = other->status(id);
  EXPECT_EQ(again.state, JobState::kFailed) << again.reason;
  EXPECT_EQ(again.array_elements.size(), 100u);
  const JobStatus element = other->status(array_element_id(id, 13));
  EXPECT_EQ(element.state, JobState::kFailed) << element.reason;
  EXPECT_EQ(element.exit_code, 6);
  EXPECT_EQ(element.scheduler_info.at("sandbox"),
            done.scheduler_info.at("sandbox") + "/elements/13");
  // Re-attached with track(): watched through its elements, never as a job of its own.
  auto third = open_scheduler("slurm://", {properties, {}});
  third->track(id);
  const JobStatus tracked = third->wait_until_done(id, 30s);
  EXPECT_EQ(tracked.state, JobState::kFailed) << tracked.reason;
  EXPECT_EQ(tracked.exit_code, 6);
}

}  // namespace
}  // namespace cuttle
