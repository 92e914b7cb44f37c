// The dependency part of the conformance suite (issue 14, point 2, docs/dependencies.md):
// an adaptor that says it honours dependencies runs a chain A -> B (after_ok A) -> C
// (after_not_ok B) in order and in the states the conditions decide, ends a job whose
// dependency can never be met as Error instead of keeping it queued, and refuses an id it
// does not know naming the field; one that does not refuses naming `dependencies`.
#include "tests/conformance/conformance.h"

namespace cuttle::conformance {
namespace {

JobDescription shell_job(const std::string& script) {
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", script};
  return d;
}

JobDescription after(DependencyCondition condition, const std::string& id, JobDescription d) {
  d.dependencies.push_back({condition, id});
  return d;
}

TEST_P(ConformanceTest, DependenciesAreHonouredOrRefusedNamingThem) {
  if (scheduler_->capabilities().dependencies) GTEST_SKIP() << "dependencies are honoured";
  const std::string first = scheduler_->submit(shell_job("exit 0"));
  try {
    scheduler_->submit(after(DependencyCondition::kAfterOk, first, shell_job("exit 0")));
    ADD_FAILURE() << "a dependency was accepted though capabilities say it is not honoured";
  } catch (const Unsupported& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.substr(0, message.find(':')), "dependencies") << message;
  }
  scheduler_->wait_until_done(first, target().job_timeout);
}

TEST_P(ConformanceTest, DependenciesAChainEndsInTheStatesItsConditionsDecide) {
  if (!scheduler_->capabilities().dependencies) GTEST_SKIP() << "dependencies are refused";
  using enum DependencyCondition;
  const std::string a = scheduler_->submit(shell_job("sleep 2"));
  const std::string b = scheduler_->submit(after(kAfterOk, a, shell_job("exit 3")));
  const std::string c = scheduler_->submit(after(kAfterNotOk, b, shell_job("exit 0")));
  const JobStatus sa = scheduler_->wait_until_done(a, target().job_timeout);
  const JobStatus sb = scheduler_->wait_until_done(b, target().job_timeout);
  const JobStatus sc = scheduler_->wait_until_done(c, target().job_timeout);
  EXPECT_EQ(sa.state, JobState::kCompleted) << sa.reason;
  EXPECT_EQ(sb.state, JobState::kFailed) << sb.reason;
  EXPECT_EQ(sb.exit_code, 3);
  EXPECT_EQ(sc.state, JobState::kCompleted) << sc.reason;
  // B started only after A ended (schedulers report whole seconds).
  ASSERT_TRUE(sa.finished && sb.started);
  EXPECT_GE(*sb.started + std::chrono::seconds(1), *sa.finished);
  if (!target().ends_unsatisfiable_dependencies) return;
  // Can never run: B failed. Ends as Error rather than waiting for ever.
  const std::string never = scheduler_->submit(after(kAfterOk, b, shell_job("exit 0")));
  const JobStatus sn = scheduler_->wait_until_done(never, target().job_timeout);
  EXPECT_EQ(sn.state, JobState::kError) << sn.reason;
  EXPECT_NE(sn.reason.find("dependency never satisfied"), std::string::npos) << sn.reason;
  EXPECT_FALSE(sn.exit_code.has_value() || sn.started.has_value()) << "the job ran";
}

TEST_P(ConformanceTest, DependenciesOnAnUnknownJobAreRefusedNamingTheField) {
  if (!scheduler_->capabilities().dependencies) GTEST_SKIP() << "dependencies are refused";
  try {
    const std::string id = scheduler_->submit(
        after(DependencyCondition::kAfterAny, "4242424242", shell_job("exit 0")));
    scheduler_->cancel(id);
    ADD_FAILURE() << "a dependency on a job that does not exist was accepted";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "dependencies[0].job_id") << e.what();
  }
}

}  // namespace
}  // namespace cuttle::conformance
