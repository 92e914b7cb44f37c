// The kubernetes:// outcome rules on Job and pod objects captured from the emulator
// (adaptors/kubernetes/testdata/README.md says how), and the Job manifest.
#include <gtest/gtest.h>

#include <limits>

#include "adaptors/kubernetes/job_manifest.h"
#include "adaptors/kubernetes/job_outcome.h"
#include "adaptors/kubernetes/job_steps.h"
#include "adaptors/kubernetes/pod_wrapper.h"
#include "cuttle/error.h"
#include "internal/job_markers.h"
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

TEST(KubernetesOutcome, TheWrappersDeadlineIsExpiredWithItsRecord) {
  // Captured: `sleep 60` with max_runtime 3; the pod's wrapper TERMed it at its deadline
  // and recorded "143 deadline" as the termination message; the Job only says Failed.
  Outcome o = outcome_of("expired");
  EXPECT_EQ(o.state, JobState::kExpired) << o.reason;
  EXPECT_EQ(o.exit_code, 143);
  EXPECT_EQ(o.reason, deadline_reason(143));
  EXPECT_EQ(o.native_state, "Failed/BackoffLimitExceeded");
  ASSERT_TRUE(o.started && o.finished);
  EXPECT_EQ(*o.finished - *o.started, std::chrono::seconds(3));
  // A command that exits 0 on the TERM makes the Job Complete: still the deadline's end.
  nlohmann::json job = fixture("complete.job.json");
  nlohmann::json pod = fixture("expired.pod.json");
  pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] = 0;
  pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"] = "0 deadline\n";
  o = job_outcome(job, pod);
  EXPECT_EQ(o.state, JobState::kExpired) << o.reason;
  EXPECT_EQ(o.exit_code, 0);
}

TEST(KubernetesOutcome, DeadlineExceededWithoutTheWrappersRecordIsTheBackstop) {
  Outcome o = outcome_of("deadline");
  EXPECT_EQ(o.state, JobState::kExpired);
  EXPECT_EQ(o.reason, kBackstopReason);
  EXPECT_FALSE(o.exit_code.has_value()) << "the pod was still running: no exit code seen";
  // A record of another end (a TERM from the pod's deletion) is no deadline of the wrapper.
  nlohmann::json pod = fixture("expired.pod.json");
  pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"] = "143 signal\n";
  o = job_outcome(fixture("deadline.job.json"), pod);
  EXPECT_EQ(o.state, JobState::kExpired);
  EXPECT_EQ(o.reason, kBackstopReason);
}

TEST(KubernetesOutcome, ForeignOrTornMessagesAreNoRecord) {
  nlohmann::json pod = fixture("expired.pod.json");
  for (const char* message : {"143 deadlin", "deadline", "143  deadline", "1430 deadline", ""}) {
    pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"] = message;
    Outcome o = job_outcome(fixture("expired.job.json"), pod);
    EXPECT_EQ(o.state, JobState::kFailed) << message << ": " << o.reason;
    EXPECT_EQ(o.exit_code, 143) << message;
  }
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
  EXPECT_FALSE(job["spec"].contains("activeDeadlineSeconds"));
  EXPECT_FALSE(job["metadata"].contains("annotations"));
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

TEST(KubernetesManifest, MaxRuntimeIsTheWrappersWithTheJobsDeadlineAsBackstop) {
  JobDescription d = sample();
  d.max_runtime = std::chrono::seconds(90);
  ManifestOptions options;
  options.termination_grace_seconds = 7;
  options.deadline_slack_seconds = 300;
  const nlohmann::json job = job_manifest(d, "c0123456789abcdef0123", options);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 90 + 7 + 300);
  EXPECT_EQ(job["metadata"]["annotations"][kAllocationAnnotation], "90");
  EXPECT_EQ(job["metadata"]["annotations"][kAllocationInPodAnnotation], "90");
  EXPECT_FALSE(job["metadata"]["annotations"].contains(kDescriptionAnnotation))
      << "not staged: nothing to stage in or out from another process";
  const nlohmann::json& c = job["spec"]["template"]["spec"]["containers"][0];
  ASSERT_EQ(c["command"].size(), 4u);
  EXPECT_EQ(c["command"][0], "/bin/sh");
  EXPECT_EQ(c["command"][2], job_wrapper(std::chrono::seconds(7)));
  // stdin, stdout, stderr, not staged, the allocation; then the command byte for byte.
  EXPECT_EQ(
      c["args"],
      (nlohmann::json::array({"", "", "", "0", "90", "/bin/sh", "-c", "echo $(hostile) ; 'q'"})));
  EXPECT_EQ(c["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(c["terminationMessagePolicy"], "File");
  EXPECT_EQ(backstop_seconds(90, options), 397);
  EXPECT_EQ(backstop_seconds(std::numeric_limits<std::int64_t>::max() - 1, options),
            std::numeric_limits<std::int64_t>::max())
      << "a huge max_runtime must not wrap into a deadline in the past";
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

JobDescription steps_sample() {
  JobDescription d;
  JobStep first;
  first.executable = "/bin/sh";
  first.arguments = {"-c", "echo $(hostile) ; 'q'"};
  first.container_image = "localhost/other:1";
  first.environment = {{"A", "step"}};
  first.ignore_error = true;
  JobStep second;  // a host step: the default image
  second.executable = "wc";
  second.working_directory = "sub";
  second.stdout_path = "count.txt";
  d.steps = {first, second};
  d.environment = {{"A", "job"}, {"B", "job"}};
  d.memory_bytes = 64 << 20;
  return d;
}

TEST(KubernetesManifest, StepsAreInitContainersThenTheMainContainerUnderTheStepWrapper) {
  const nlohmann::json job =
      job_manifest(steps_sample(), "c0123456789abcdef0123", {"localhost/busybox:latest"});
  EXPECT_EQ(job["metadata"]["annotations"][kStepsAnnotation], "2");
  const nlohmann::json& pod = job["spec"]["template"]["spec"];
  ASSERT_EQ(pod["initContainers"].size(), 1u);
  ASSERT_EQ(pod["containers"].size(), 1u);
  const nlohmann::json& first = pod["initContainers"][0];
  const nlohmann::json& last = pod["containers"][0];
  EXPECT_EQ(first["name"], "step0");
  EXPECT_EQ(last["name"], kMainContainer);
  EXPECT_EQ(first["image"], "localhost/other:1");
  EXPECT_EQ(last["image"], "localhost/busybox:latest");
  EXPECT_EQ(containers_in_order(nlohmann::json{{"spec", pod}}),
            (std::vector<std::string>{"step0", "job"}));
  // The wrapper's flags: wait, job out, job err, hold, last, ignore_error, stdin, stdout,
  // append, stderr, append, max_runtime; then the command byte for byte.
  EXPECT_EQ(first["command"][0], "/bin/sh");
  EXPECT_EQ(first["args"][4], "0");
  EXPECT_EQ(first["args"][5], "1");
  EXPECT_EQ(first["args"][11], "") << "no max_runtime";
  EXPECT_EQ(first["args"][12], "/bin/sh");
  EXPECT_EQ(first["args"][14], "echo $(hostile) ; 'q'");
  EXPECT_EQ(last["args"][4], "1");
  EXPECT_EQ(last["args"][7], "/work/count.txt");
  EXPECT_EQ(last["args"][8], "0");
  EXPECT_EQ(last["workingDir"], "/work/sub");
  EXPECT_EQ(first["env"], (nlohmann::json::array({{{"name", "A"}, {"value", "step"}},
                                                  {{"name", "B"}, {"value", "job"}}})));
  EXPECT_EQ(first["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(last["resources"]["limits"]["memory"], "67108864");
  EXPECT_EQ(first["volumeMounts"], last["volumeMounts"]);
}

TEST(KubernetesOutcome, AStepThatRanOutOfTimeMakesTheJobExpired) {
  // Captured: steps `sleep 1`, `sleep 60`, `true` under max_runtime 4: the second step's
  // wrapper ended it at the job's deadline (counted from the first step's start), the
  // third was skipped, the main container exited with the second's code.
  Outcome o = outcome_of("steps-expired");
  EXPECT_EQ(o.state, JobState::kExpired) << o.reason;
  EXPECT_EQ(o.exit_code, 143);
  EXPECT_EQ(o.reason, deadline_reason(143));
  EXPECT_EQ(o.step_exit_codes, (std::vector<int>{0, 143}));
  ASSERT_TRUE(o.started && o.finished);
  EXPECT_EQ(*o.started, *parse_api_time("2026-12-02T20:51:38Z")) << "the first step's start";
  EXPECT_EQ(*o.finished - *o.started, std::chrono::seconds(6));
}

TEST(KubernetesManifest, StepsShareTheMaxRuntime) {
  JobDescription d = steps_sample();
  d.max_runtime = std::chrono::seconds(30);
  const nlohmann::json job = job_manifest(d, "c0123456789abcdef0123", {"localhost/busybox:latest"});
  const nlohmann::json& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["initContainers"][0]["args"][11], "30");
  EXPECT_EQ(pod["containers"][0]["args"][11], "30");
  EXPECT_EQ(pod["initContainers"][0]["command"][2],
            step_wrapper(0, false, std::chrono::seconds(5)));
  EXPECT_EQ(pod["containers"][0]["command"][2], step_wrapper(1, true, std::chrono::seconds(5)));
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 30 + 5 + 600);
}

TEST(KubernetesManifest, StepRefusalsNameTheStepAndField) {
  JobDescription d = steps_sample();
  try {
    job_manifest(d, "c0123456789abcdef0123", {});
    FAIL() << "a host step ran without a default image";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "steps[1].container_image");
  }
  d.steps[0].executable.clear();
  d.steps[0].arguments.clear();
  try {
    job_manifest(d, "c0123456789abcdef0123", {"localhost/busybox"});
    FAIL() << "a step without a command was accepted";
  } catch (const Unsupported& e) {
    EXPECT_EQ(std::string(e.what()).rfind("steps[0].executable", 0), 0u) << e.what();
  }
  d = steps_sample();
  d.steps[1].arguments = {"ok", "\xff"};
  try {
    job_manifest(d, "c0123456789abcdef0123", {"localhost/busybox"});
    FAIL() << "non-UTF-8 accepted";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "steps[1].arguments[1]");
  }
  d = steps_sample();
  d.steps[1].working_directory = "../escape";
  EXPECT_THROW(job_manifest(d, "c0123456789abcdef0123", {"localhost/busybox"}),
               InvalidJobDescription);
}

TEST(KubernetesOutcome, StepExitCodesAreTheTerminationMessagesOfTheStepsThatRan) {
  // Captured: a failing middle step (exit 4) after an ignored failure (exit 5); the
  // third step was skipped and the main container exited with 4.
  Outcome o = outcome_of("steps");
  EXPECT_EQ(o.state, JobState::kFailed) << o.reason;
  EXPECT_EQ(o.exit_code, 4);
  EXPECT_EQ(o.step_exit_codes, (std::vector<int>{5, 4}));
  // Without the Job's annotation (not a job with steps) no codes are read.
  nlohmann::json job = fixture("steps.job.json");
  job["metadata"]["annotations"].erase(kStepsAnnotation);
  EXPECT_TRUE(job_outcome(job, fixture("steps.pod.json")).step_exit_codes.empty());
  // A message that is not a record ends the list (never a made-up code).
  nlohmann::json pod = fixture("steps.pod.json");
  pod["status"]["initContainerStatuses"][1]["state"]["terminated"]["message"] = "4x";
  EXPECT_EQ(step_exit_codes(pod), (std::vector<int>{5}));
  pod["status"]["initContainerStatuses"][1]["state"]["terminated"]["message"] = "4 deadline\n";
  EXPECT_EQ(step_exit_codes(pod), (std::vector<int>{5, 4}));
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
