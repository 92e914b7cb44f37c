// Job states, their transitions, and description validation naming the field.
#include <gtest/gtest.h>

#include "cuttle/error.h"
#include "cuttle/job_description.h"
#include "cuttle/job_state.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using testing::field_of;

TEST(JobState, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(JobState::kError); ++i) {
    auto state = static_cast<JobState>(i);
    EXPECT_EQ(parse_job_state(to_string(state)), state);
  }
  EXPECT_EQ(parse_job_state("running"), JobState::kRunning);
  EXPECT_FALSE(parse_job_state("Done").has_value());
}

TEST(JobState, FinalStatesAreFinal) {
  EXPECT_FALSE(is_final(JobState::kRunning));
  EXPECT_FALSE(is_final(JobState::kStagingOut));
  for (auto s : {JobState::kCompleted, JobState::kFailed, JobState::kCancelled, JobState::kExpired,
                 JobState::kError}) {
    EXPECT_TRUE(is_final(s));
  }
}

TEST(JobState, TransitionsAreMonotonic) {
  EXPECT_TRUE(is_valid_transition(JobState::kNew, JobState::kQueued));
  EXPECT_TRUE(is_valid_transition(JobState::kQueued, JobState::kCompleted));
  EXPECT_TRUE(is_valid_transition(JobState::kRunning, JobState::kRunning));
  EXPECT_FALSE(is_valid_transition(JobState::kRunning, JobState::kQueued));
  EXPECT_FALSE(is_valid_transition(JobState::kCompleted, JobState::kFailed));
  EXPECT_FALSE(is_valid_transition(JobState::kCancelled, JobState::kRunning));
}

JobDescription valid() {
  JobDescription d;
  d.executable = "/bin/true";
  return d;
}

TEST(JobDescription, ValidDescriptionPasses) { EXPECT_EQ(field_of(valid()), "(valid)"); }

TEST(JobDescription, HostileButLegalValuesPass) {
  JobDescription d = valid();
  d.arguments = {"$(rm -rf /)", "`id`", "a\nb", "'\"", ""};
  d.environment = {{"VAR", "$(id)\n'"}};
  d.name = "name with 'quotes' and $(x)";
  EXPECT_EQ(field_of(d), "(valid)");
}

TEST(JobDescription, EachFaultNamesItsField) {
  JobDescription d = valid();
  d.executable.clear();
  EXPECT_EQ(field_of(d), "executable");
  d = valid();
  d.arguments = {"ok", std::string("a\0b", 3)};
  EXPECT_EQ(field_of(d), "arguments[1]");
  d = valid();
  d.environment = {{"1BAD", "x"}};
  EXPECT_EQ(field_of(d), "environment");
  d = valid();
  d.environment = {{"A;rm", "x"}};
  EXPECT_EQ(field_of(d), "environment");
  d = valid();
  d.environment = {{"OK", std::string("a\0", 2)}};
  EXPECT_EQ(field_of(d), "environment.OK");
  d = valid();
  d.max_runtime = std::chrono::seconds(0);
  EXPECT_EQ(field_of(d), "max_runtime");
  d = valid();
  d.nodes = 0;
  EXPECT_EQ(field_of(d), "nodes");
  d = valid();
  d.cores_per_task = -3;
  EXPECT_EQ(field_of(d), "cores_per_task");
  d = valid();
  d.scheduler_arguments = {"--exclusive", "--x\n#SBATCH --uid=0"};
  EXPECT_EQ(field_of(d), "scheduler_arguments[1]");
  d = valid();
  d.stage_in = {{"a", "b"}, {"", "c"}};
  EXPECT_EQ(field_of(d), "stage_in[1].source");
  d = valid();
  d.retry_limit = -1;
  EXPECT_EQ(field_of(d), "retry_limit");
  d = valid();
  d.name = "two\nlines";
  EXPECT_EQ(field_of(d), "name");
}

}  // namespace
}  // namespace cuttle
