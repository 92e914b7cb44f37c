// The conformance tests of job arrays (JobDescription::array, docs/arrays.md): on every
// adaptor an array is one id whose elements "ID[INDEX]" each run with CUTTLE_ARRAY_INDEX,
// at most `throttle` at once, and end with their own state and exit code; the array's
// status is their aggregate; cancel works on one element and on the whole array. Natively
// (slurm, torque) or run by Cuttle (local, ssh, kubernetes: array_emulation.h).
#include "tests/conformance/conformance.h"
#include "tests/conformance/suite_helpers.h"

namespace cuttle::conformance {
namespace {

using namespace std::chrono_literals;

#define CUTTLE_REQUIRE_ARRAYS()                                                       \
  if (!target().array_elements_reported)                                              \
    GTEST_SKIP() << "this scheduler's status command does not report array elements"; \
  if (!target().container_image.empty())                                              \
  GTEST_SKIP() << "arrays of container jobs are not run on batch schedulers (docs/arrays.md)"

// Indices 0, 2, 4, 6 at most two at a time; element I exits I/2, so each element's exit code
// proves it saw its own CUTTLE_ARRAY_INDEX. With shared files each element also records how
// many elements ran when it started (never more than the throttle).
TEST_P(ConformanceTest, ArrayElementsRunUnderTheThrottleWithTheirOwnExitCodes) {
  CUTTLE_REQUIRE_ARRAYS();
  const std::string dir = target().shared_files ? scratch_ : std::string("/tmp");
  JobDescription d = job("/bin/sh", {"-c",
                                     "d=$1; i=$CUTTLE_ARRAY_INDEX\n"
                                     "if [ -n \"$d\" ]; then : > \"$d/running.$i\"\n"
                                     "  ls \"$d\" | grep -c '^running\\.' > \"$d/seen.$i\"; fi\n"
                                     "sleep 1\n"
                                     "[ -z \"$d\" ] || rm -f \"$d/running.$i\"\n"
                                     "exit $((i / 2))",
                                     "sh", target().shared_files ? scratch_ : ""});
  d.array = ArraySpec::parse("0-6:2%2");
  const std::string id = scheduler_->submit(d);
  const JobStatus done = scheduler_->wait_until_done(id, target().job_timeout * 2);
  ASSERT_TRUE(done.done()) << "array " << id << ": " << done.reason;
  EXPECT_EQ(done.state, JobState::kFailed) << done.reason;  // elements 2, 4, 6 exit non-zero
  EXPECT_EQ(done.exit_code, 3);                             // the highest of the elements'
  ASSERT_EQ(done.array_elements.size(), 4u);
  for (const ArrayElementStatus& element : done.array_elements) {
    const JobStatus own = scheduler_->status(array_element_id(id, element.index));
    EXPECT_EQ(own.exit_code, element.index / 2) << own.id << ": " << own.reason;
    EXPECT_EQ(own.state, element.index == 0 ? JobState::kCompleted : JobState::kFailed) << own.id;
    EXPECT_EQ(element.state, own.state);
    EXPECT_EQ(element.exit_code, own.exit_code);
    if (target().shared_files) {
      const std::string seen = read_file(scratch_ + "/seen." + std::to_string(element.index));
      ASSERT_FALSE(seen.empty()) << "element " << element.index << " did not record";
      EXPECT_LE(std::stoi(seen), 2) << "element " << element.index << " ran beside too many";
    }
  }
  EXPECT_THROW(scheduler_->status(array_element_id(id, 1)), NoSuchJob);  // not in the spec
}

TEST_P(ConformanceTest, CancelWorksOnOneElementAndOnTheWholeArray) {
  CUTTLE_REQUIRE_ARRAYS();
  JobDescription d = job("sleep", {"60"});
  d.array = ArraySpec::of_count(3);
  const std::string id = scheduler_->submit(d);
  const std::string first = array_element_id(id, 0);
  ASSERT_TRUE(scheduler_->wait_until_running(first, target().job_timeout).running());
  const JobStatus one = scheduler_->wait_until_done(scheduler_->cancel(array_element_id(id, 1)).id,
                                                    target().job_timeout);
  EXPECT_EQ(one.state, JobState::kCancelled) << one.reason;
  EXPECT_FALSE(scheduler_->status(id).done()) << "the other elements still run";
  scheduler_->cancel(id);
  const JobStatus all = scheduler_->wait_until_done(id, target().job_timeout);
  ASSERT_TRUE(all.done()) << all.reason;
  EXPECT_EQ(all.state, JobState::kCancelled) << all.reason;
  for (const ArrayElementStatus& element : all.array_elements) {
    EXPECT_EQ(element.state, JobState::kCancelled) << "element " << element.index;
  }
}

TEST_P(ConformanceTest, ArrayWithAnOutOfBoundsSpecIsRefusedNamingTheField) {
  JobDescription d = job("true");
  d.array = ArraySpec{5, 2, 1, std::nullopt};
  try {
    scheduler_->submit(d);
    FAIL() << "an array whose last index is below its first was accepted";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "array");
  }
}

}  // namespace
}  // namespace cuttle::conformance
