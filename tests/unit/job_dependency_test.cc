// Job dependencies as data: the CLI's form, JSON, validation naming the field, what a
// status means for each condition, and the schedulers' shared syntax.
#include <gtest/gtest.h>

#include "adaptors/batch/dependency_text.h"
#include "cuttle/error.h"
#include "cuttle/job_description_json.h"
#include "internal/job_markers.h"

namespace cuttle {
namespace {

using enum DependencyCondition;

JobStatus with_state(JobState state) {
  JobStatus s;
  s.state = state;
  return s;
}

TEST(JobDependency, ConditionsDecideOnTheDependencysFinalState) {
  EXPECT_EQ(dependency_outcome(kAfterOk, with_state(JobState::kRunning)), DependencyOutcome::kWait);
  EXPECT_EQ(dependency_outcome(kAfterOk, with_state(JobState::kCompleted)),
            DependencyOutcome::kSatisfied);
  EXPECT_EQ(dependency_outcome(kAfterOk, with_state(JobState::kFailed)),
            DependencyOutcome::kNeverSatisfied);
  EXPECT_EQ(dependency_outcome(kAfterNotOk, with_state(JobState::kCompleted)),
            DependencyOutcome::kNeverSatisfied);
  EXPECT_EQ(dependency_outcome(kAfterNotOk, with_state(JobState::kCancelled)),
            DependencyOutcome::kSatisfied);
  EXPECT_EQ(dependency_outcome(kAfterAny, with_state(JobState::kError)),
            DependencyOutcome::kSatisfied);
  EXPECT_EQ(dependency_outcome(kAfterStart, with_state(JobState::kQueued)),
            DependencyOutcome::kWait);
  EXPECT_EQ(dependency_outcome(kAfterStart, with_state(JobState::kRunning)),
            DependencyOutcome::kSatisfied);
}

TEST(JobDependency, TheCliFormIsParsedAndBadWordsNameTheField) {
  EXPECT_EQ(parse_dependency("after_not_ok:12", "f"), (JobDependency{kAfterNotOk, "12"}));
  try {
    parse_dependency("afterok:12", "--after");
    FAIL();
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "--after");
  }
  EXPECT_THROW(parse_dependency("12", "f"), InvalidJobDescription);
}

TEST(JobDependency, HostileIdsAreRefusedNamingTheEntry) {
  JobDescription d;
  d.executable = "/bin/true";
  for (const char* id : {"", "1,2", "1:2", "$(reboot)'", "a b", "1\n2"}) {
    d.dependencies = {{kAfterOk, "7"}, {kAfterOk, id}};
    try {
      d.validate();
      ADD_FAILURE() << "accepted '" << id << "'";
    } catch (const InvalidJobDescription& e) {
      EXPECT_EQ(e.field(), "dependencies[1].job_id") << id;
    }
  }
}

TEST(JobDependency, JsonRoundTripsAndRefusesUnknownFieldsAndConditions) {
  JobDescription d;
  d.executable = "/bin/true";
  d.dependencies = {{kAfterOk, "1"}, {kAfterStart, "c0ffee"}};
  EXPECT_EQ(job_description_from_json(to_json_text(d)), d);
  try {
    job_description_from_json(
        R"({"executable": "x", "dependencies": [{"condition": "after_ok", "job_id": "1", "x": 1}]})");
    FAIL();
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "dependencies[0].x");
  }
  try {
    job_description_from_json(
        R"({"executable": "x", "dependencies": [{"condition": "before", "job_id": "1"}]})");
    FAIL();
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "dependencies[0].condition");
  }
}

TEST(JobDependency, SchedulersGetOneGroupPerConditionInOrder) {
  EXPECT_EQ(detail::native_dependency_list(
                {{kAfterOk, "1"}, {kAfterNotOk, "3"}, {kAfterOk, "2"}, {kAfterStart, "4"}}),
            "afterok:1:2,afternotok:3,after:4");
}

TEST(JobDependency, TheExitMarkerOfAnUnsatisfiableDependencyReadsAsErrorWithoutARun) {
  const auto exit = detail::parse_exit_marker(detail::kDependencyExitMarker);
  ASSERT_TRUE(exit);
  detail::MarkerState marker;
  marker.exists = true;
  marker.exit_code = exit->code;
  marker.cause = exit->cause;
  marker.started = Clock::now();
  const JobStatus status = detail::final_status_from_marker("j", marker);
  EXPECT_EQ(status.state, JobState::kError);
  EXPECT_NE(status.reason.find("dependency never satisfied"), std::string::npos);
  EXPECT_FALSE(status.exit_code);
  EXPECT_FALSE(status.started);
}

}  // namespace
}  // namespace cuttle
