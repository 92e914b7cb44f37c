// The kubernetes:// outcome rules on Job and pod objects captured from the emulator
// (adaptors/kubernetes/testdata/README.md says how), and the Job manifest.
#include <gtest/gtest.h>

#include "adaptors/kubernetes/job_manifest.h"
#include "adaptors/kubernetes/job_outcome.h"
#include "cuttle/error.h"
#include "test_util.h"

namespace cuttle::detail {
namespace {

nlohmann::json fixture(const std::string& name) {
  return nlohmann::json::parse(
      cuttle::testing::read_testdata("adaptors/kubernetes/testdata", name));
}

Outcome outcome_of(const std::string& name) {
  return job_outcome(fixture(name + ".job.json"), fixture(name + ".pod.json"));
}

TEST(KubernetesOutcome, CompleteConditionIsCompletedWithTheObservedExitCode) {
  Outcome o = outcome_of("complete");
  EXPECT_EQ(o.state, JobState::kCompleted);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_TRUE(o.finished.has_value());
}

TEST(KubernetesOutcome, FailedJobCarriesTheContainerExitCode) {
  Outcome o = outcome_of("exit3");
  EXPECT_EQ(o.state, JobState::kFailed);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(o.native_state, "Failed/BackoffLimitExceeded");
}

TEST(KubernetesOutcome, OomKilledIsTheReason) {
  Outcome o = outcome_of("oom");
  EXPECT_EQ(o.state, JobState::kFailed);
  EXPECT_EQ(o.exit_code, 137);
  EXPECT_EQ(o.reason, "OOMKilled");
}

TEST(KubernetesOutcome, DeadlineExceededIsExpired) {
  Outcome o = outcome_of("deadline");
  EXPECT_EQ(o.state, JobState::kExpired);
  EXPECT_FALSE(o.exit_code.has_value()) << "the pod was still running: no exit code seen";
}

TEST(KubernetesOutcome, ImagePullBackOffKeepsTheJobQueuedWithTheReason) {
  Outcome o = outcome_of("badimage");
  EXPECT_EQ(o.state, JobState::kQueued);
  EXPECT_EQ(o.blocked_by, "ImagePullBackOff");
  EXPECT_NE(o.reason.find("nosuchimage"), std::string::npos) << o.reason;
}

TEST(KubernetesOutcome, FailedWithoutObservedExitCodeIsErrorNeverZero) {
  nlohmann::json pod = fixture("exit3.pod.json");
  pod["status"]["containerStatuses"][0]["state"] = {{"running", nlohmann::json::object()}};
  Outcome o = job_outcome(fixture("exit3.job.json"), pod);
  EXPECT_EQ(o.state, JobState::kError);
  EXPECT_FALSE(o.exit_code.has_value());
  o = job_outcome(fixture("exit3.job.json"), nullptr);
  EXPECT_EQ(o.state, JobState::kError);
  EXPECT_FALSE(o.exit_code.has_value());
}

TEST(KubernetesOutcome, UnschedulablePodIsQueuedWithTheReason) {
  nlohmann::json pod = fixture("badimage.pod.json");
  pod["status"]["containerStatuses"] = nlohmann::json::array();
  pod["status"]["conditions"] = {{{"type", "PodScheduled"},
                                  {"status", "False"},
                                  {"reason", "Unschedulable"},
                                  {"message", "0/1 nodes are available: Insufficient memory."}}};
  Outcome o = job_outcome(fixture("badimage.job.json"), pod);
  EXPECT_EQ(o.state, JobState::kQueued);
  EXPECT_EQ(o.blocked_by, "Unschedulable");
}

TEST(KubernetesOutcome, FailedInitContainerIsError) {
  nlohmann::json pod = fixture("badimage.pod.json");
  pod["status"]["initContainerStatuses"] = {
      {{"name", "setup"}, {"state", {{"terminated", {{"exitCode", 2}, {"reason", "Error"}}}}}}};
  Outcome o = job_outcome(fixture("badimage.job.json"), pod);
  EXPECT_EQ(o.state, JobState::kError);
  EXPECT_NE(o.error.find("init container setup exited 2"), std::string::npos) << o.error;
}

TEST(KubernetesOutcome, RunningContainerIsRunningWithoutExitCode) {
  Outcome o = job_outcome(nlohmann::json::object(), fixture("deadline.pod.json"));
  EXPECT_EQ(o.state, JobState::kRunning);
  EXPECT_TRUE(o.started.has_value());
}

TEST(KubernetesOutcome, TimesOutsideTheClockAreRefused) {
  EXPECT_TRUE(parse_api_time("2026-12-01T18:53:45Z").has_value());
  EXPECT_FALSE(parse_api_time("-696-12-01T18:53:45Z").has_value());
  EXPECT_FALSE(parse_api_time("99999-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(parse_api_time("2026-13-01T00:00:00Z").has_value());
  EXPECT_FALSE(parse_api_time("yesterday").has_value());
}

TEST(KubernetesOutcome, MalformedObjectsNeverThrow) {
  for (const char* text :
       {"null", "[]", "{\"status\":7}", "{\"status\":{\"conditions\":[1,\"x\"]}}",
        "{\"status\":{\"containerStatuses\":{\"a\":1}}}"}) {
    nlohmann::json j = nlohmann::json::parse(text);
    EXPECT_NO_THROW(job_outcome(j, j)) << text;
  }
}

JobDescription sample() {
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "echo $(hostile) ; 'q'"};
  d.container_image = "localhost/busybox:latest";
  d.environment = {{"A", "x\ny"}};
  d.max_runtime = std::chrono::seconds(90);
  d.memory_bytes = 64 * 1024 * 1024;
  d.cores_per_task = 2;
  return d;
}

TEST(KubernetesManifest, JobIsDeterministicAndRetriesStayInCore) {
  const std::string key = "c0123456789abcdef0123";
  nlohmann::json job = job_manifest(sample(), key, {});
  EXPECT_EQ(job["metadata"]["name"], "cuttle-" + key);
  EXPECT_EQ(job_key_from_name(job["metadata"]["name"]), key);
  EXPECT_EQ(job["metadata"]["labels"][kJobKeyLabel], key);
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 90);
  EXPECT_FALSE(job["spec"].contains("ttlSecondsAfterFinished"));
  const nlohmann::json& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  const nlohmann::json& c = pod["containers"][0];
  EXPECT_EQ(c["command"], nlohmann::json::array({"/bin/sh"}));  // no shell added
  EXPECT_EQ(c["args"][1], "echo $(hostile) ; 'q'");
  EXPECT_EQ(c["workingDir"], "/work");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "67108864");
  EXPECT_EQ(c["resources"]["requests"]["cpu"], "2");
  EXPECT_EQ(c["env"][0]["value"], "x\ny");
}

TEST(KubernetesManifest, RefusalsNameTheField) {
  JobDescription d = sample();
  d.container_image.clear();
  EXPECT_EQ(cuttle::testing::field_of(d), "(valid)");
  try {
    job_manifest(d, "c0123456789abcdef0123", {});
    FAIL() << "no image accepted";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "container_image");
  }
  EXPECT_EQ(
      job_manifest(d, "c0123456789abcdef0123",
                   {"localhost/busybox"})["spec"]["template"]["spec"]["containers"][0]["image"],
      "localhost/busybox");
  d = sample();
  d.labels = {{"bad label", "x"}};
  try {
    job_manifest(d, "c0123456789abcdef0123", {});
    FAIL();
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "labels.bad label");
  }
  d = sample();
  d.working_directory = "../escape";
  EXPECT_THROW(job_manifest(d, "c0123456789abcdef0123", {}), InvalidJobDescription);
  d = sample();
  d.nodes = 2;
  EXPECT_THROW(job_manifest(d, "c0123456789abcdef0123", {}), InvalidJobDescription);
}

TEST(KubernetesManifest, NamesThatAreNotOursHaveNoKey) {
  EXPECT_EQ(job_key_from_name("other-job"), "");
  EXPECT_EQ(job_key_from_name("cuttle-../x"), "");
  EXPECT_EQ(label_problem("example.com/team", "a.b-c_d"), "");
  EXPECT_NE(label_problem("a/b/c", "x"), "");
  EXPECT_NE(label_problem("k", std::string(64, 'a')), "");
  EXPECT_NE(label_problem(kJobKeyLabel, "x"), "");
}

}  // namespace
}  // namespace cuttle::detail
