// kubernetes:// against the API-server emulator of tests/env/kubernetes.sh (pods run for
// real in podman), driven through the library and the `cuttle` command, with the emulator's
// fault switches: each test works in a namespace of its own (created with the real
// kubectl), so a fault scoped to it cannot touch another test.
// (~400 lines: one test per fault of the issue, each short; split by concern would scatter
// the shared namespace and fault helpers.)
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cuttle/cuttle.h"
#include "tests/integration/kubernetes_fixture.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;

using ::cuttle::testing::env;

TEST_F(KubernetesTest, CliSubmitWaitExitsWithTheJobsExitCodeAndKeepsItsOutput) {
  const std::string where = location() + "&logs.root=" + dir_.path() +
                            "/logs&kubeconfig=" + env("CUTTLE_TEST_K8S_KUBECONFIG");
  CommandResult r = cuttle({"submit", "--wait", "--image", env("CUTTLE_TEST_K8S_IMAGE"), where,
                            "--", "/bin/sh", "-c", "echo 'said $(this)'; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.stderr_text;
  r = cuttle(
      {"submit", "--image", env("CUTTLE_TEST_K8S_IMAGE"), where, "--", "/bin/echo", "out put"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const std::string id = first_line(r.stdout_text);
  EXPECT_EQ(cuttle({"wait", id}).exit_code, 0);
  r = cuttle({"output", id});
  EXPECT_EQ(r.stdout_text, "out put\n") << r.stderr_text;
  // The Job kept its truth until the outcome was captured, then got its TTL.
  r = kubectl({"get", "job", "cuttle-" + id, "-n", namespace_, "-o",
               "jsonpath={.spec.ttlSecondsAfterFinished}"});
  EXPECT_EQ(r.stdout_text, "600");
}

TEST_F(KubernetesTest, ImagePullFailureIsQueuedWithTheReasonThenErrorAfterItsGrace) {
  auto scheduler = open({{"grace.image", "4s"}});
  JobDescription d = shell("true");
  d.container_image = "localhost/no-such-image:1";
  const std::string id = scheduler->submit(d);
  JobStatus status = scheduler->wait_until_done(id, 60s);
  ASSERT_EQ(status.state, JobState::kError) << status.reason;
  EXPECT_NE(status.reason.find("ImagePull"), std::string::npos) << status.reason;
  EXPECT_FALSE(status.exit_code.has_value());
  EXPECT_NE(kubectl({"get", "job", "cuttle-" + id, "-n", namespace_}, false).exit_code, 0)
      << "the blocked Job was deleted";
}

TEST_F(KubernetesTest, UnschedulablePodIsQueuedThenErrorAfterItsGrace) {
  fault({{"unschedulable", 1}});
  auto scheduler = open({{"grace.unschedulable", "5s"}});
  const std::string id = scheduler->submit(shell("true"));
  JobStatus status;
  for (int i = 0; i < 100; ++i) {
    status = scheduler->status(id);
    if (status.scheduler_info.count("reason") || status.done()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status.state, JobState::kQueued);
  EXPECT_EQ(status.scheduler_info["reason"], "Unschedulable");
  status = scheduler->wait_until_done(id, 60s);
  EXPECT_EQ(status.state, JobState::kError);
  EXPECT_NE(status.reason.find("Unschedulable"), std::string::npos) << status.reason;
}

TEST_F(KubernetesTest, OomKilledIsFailedWithTheReason) {
  auto scheduler = open();
  JobDescription d = shell("x=a; while true; do x=\"$x$x\"; done");
  d.memory_bytes = 8 * 1024 * 1024;
  JobStatus status = scheduler->wait_until_done(scheduler->submit(d), 60s);
  EXPECT_EQ(status.state, JobState::kFailed);
  EXPECT_EQ(status.reason, "OOMKilled");
  EXPECT_EQ(status.exit_code, 137);
}

TEST_F(KubernetesTest, PodDeletedBeforeItWasSeenFinishingIsErrorWithUnknownExitCode) {
  fault({{"vanishOnExit", 1}});
  auto scheduler = open();
  JobStatus status = scheduler->wait_until_done(scheduler->submit(shell("sleep 1; exit 0")), 60s);
  EXPECT_EQ(status.state, JobState::kError) << status.reason;
  EXPECT_FALSE(status.exit_code.has_value()) << "an exit code never observed is not 0";
}

// A loaded API server may deliver the Job's Failed condition long before the pod's
// terminated status (separate watch streams): the exit code is read from the server, not
// declared unknown because the pod informer is behind.
TEST_F(KubernetesTest, ExitCodeIsFoundWhileThePodWatchLagsTheJobWatch) {
  auto scheduler = open();
  const std::string id = scheduler->submit(shell("sleep 2; exit 3"));
  ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  fault({{"podWatchLagSeconds", 20}});
  const auto asked = std::chrono::steady_clock::now();
  JobStatus status = scheduler->wait_until_done(id, 60s);
  EXPECT_EQ(status.state, JobState::kFailed) << status.reason;
  EXPECT_EQ(status.exit_code, 3) << status.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 18s)
      << "the outcome waited for the lagging pod watch instead of asking the server";
}

TEST_F(KubernetesTest, JobDeletedBehindOurBackBeforeItFinishedIsError) {
  auto scheduler = open();
  const std::string id = scheduler->submit(shell("sleep 30"));
  ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  kubectl({"delete", "job", "cuttle-" + id, "-n", namespace_, "--wait=false"});
  JobStatus status = scheduler->wait_until_done(id, 60s);
  EXPECT_EQ(status.state, JobState::kError);
  EXPECT_NE(status.reason.find("deleted before it finished"), std::string::npos) << status.reason;
}

TEST_F(KubernetesTest, FinishedJobGarbageCollectedLaterStaysCompleted) {
  auto scheduler = open({{"ttl.after.finished", "1s"}});
  const std::string id = scheduler->submit(shell("true"));
  ASSERT_EQ(scheduler->wait_until_done(id, 60s).state, JobState::kCompleted);
  for (int i = 0;
       i < 100 && kubectl({"get", "job", "cuttle-" + id, "-n", namespace_}, false).exit_code == 0;
       ++i) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(scheduler->status(id).state, JobState::kCompleted);
  EXPECT_EQ(open()->status(id).state, JobState::kCompleted) << "a new object reads the record";
}

TEST_F(KubernetesTest, WatchGoneAtConnectAndInTheStreamRelists) {
  fault({{"watchGoneAtConnect", 3}});
  auto scheduler = open();
  const std::string first = scheduler->submit(shell("sleep 2"));
  std::this_thread::sleep_for(500ms);
  fault({{"watchGoneNow", true}, {"compact", true}});
  const std::string second = scheduler->submit(shell("exit 4"));
  EXPECT_EQ(scheduler->wait_until_done(first, 60s).state, JobState::kCompleted);
  JobStatus status = scheduler->wait_until_done(second, 60s);
  EXPECT_EQ(status.state, JobState::kFailed);
  EXPECT_EQ(status.exit_code, 4);
}

TEST_F(KubernetesTest, TooManyRequestsIsWaitedOutForItsRetryAfter) {
  auto scheduler = open();
  // One job first: the informers are then connected and make no request of their own.
  ASSERT_EQ(scheduler->wait_until_done(scheduler->submit(shell("true")), 60s).state,
            JobState::kCompleted);
  fault({{"status429", 2}, {"retryAfterSeconds", 1}});
  const auto start = std::chrono::steady_clock::now();
  const std::string id = scheduler->submit(shell("true"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s) << "Retry-After was not honoured";
  EXPECT_EQ(scheduler->wait_until_done(id, 60s).state, JobState::kCompleted);
}

TEST_F(KubernetesTest, ServerErrorsForSecondsAreRiddenOut) {
  auto scheduler = open();
  const std::string id = scheduler->submit(shell("sleep 2"));
  fault({{"status500Seconds", 3}});
  EXPECT_THROW(scheduler->submit(shell("true")), ConnectionFailed);
  EXPECT_EQ(scheduler->wait_until_done(id, 60s).state, JobState::kCompleted);
}

TEST_F(KubernetesTest, QuotaRefusalKeepsTheJobQueuedAndRetries) {
  fault({{"quota403", 2}});
  auto scheduler = open({{"quota.retry", "1s"}});
  const std::string id = scheduler->submit(shell("true"));
  JobStatus status = scheduler->status(id);
  EXPECT_EQ(status.state, JobState::kQueued);
  EXPECT_NE(status.reason.find("quota"), std::string::npos) << status.reason;
  EXPECT_EQ(scheduler->wait_until_done(id, 60s).state, JobState::kCompleted);
}

TEST_F(KubernetesTest, PodStuckTerminatingIsForceDeletedAfterTheGrace) {
  fault({{"stuckTerminating", 1}});
  auto scheduler = open();
  const std::string id = scheduler->submit(shell("sleep 60"));
  ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  EXPECT_EQ(scheduler->cancel(id).state, JobState::kCancelled);
  std::string pods = "x";
  for (int i = 0; i < 150 && !pods.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    pods =
        kubectl({"get", "pods", "-n", namespace_, "-l", "cuttle.dev/job-key=" + id, "-o", "name"})
            .stdout_text;
  }
  EXPECT_EQ(pods, "") << "the pod stuck Terminating is still there";
}

TEST_F(KubernetesTest, NewSchedulerObjectReattachesByTheLabel) {
  std::string id;
  {
    auto first = open();
    id = first->submit(shell("sleep 2; echo done"));
  }
  auto second = open();
  JobStatus status = second->wait_until_done(id, 60s);
  EXPECT_EQ(status.state, JobState::kCompleted);
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_THROW(second->status("c0000000000000000000a"), NoSuchJob);
}

TEST_F(KubernetesTest, ClientCertificateContextWorks) {
  SchedulerOptions options;
  options.properties = {{"kubeconfig", env("CUTTLE_TEST_K8S_KUBECONFIG")},
                        {"default.image", env("CUTTLE_TEST_K8S_IMAGE")},
                        {"logs.root", dir_.path() + "/logs"}};
  auto scheduler = open_scheduler(location() + "&context=cuttle-emulator-cert", options);
  EXPECT_EQ(scheduler->wait_until_done(scheduler->submit(shell("true")), 60s).state,
            JobState::kCompleted);
}

TEST_F(KubernetesTest, ExecCredentialPluginSuppliesTheToken) {
  // A client.authentication.k8s.io/v1 plugin that prints the emulator's token; it sees
  // KUBERNETES_EXEC_INFO and the env the kubeconfig gives it.
  const std::string plugin = dir_.path() + "/plugin.sh";
  std::ofstream(plugin) << "#!/bin/sh\n"
                           "[ -n \"$KUBERNETES_EXEC_INFO\" ] && [ \"$REGION\" = eu ] || exit 7\n"
                           "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                           "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' "
                           "\"$TOKEN\"\n";
  ASSERT_EQ(::chmod(plugin.c_str(), 0755), 0);
  const std::string config = dir_.path() + "/kubeconfig";
  std::ofstream(config) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                        << "    server: " << env("CUTTLE_TEST_K8S_SERVER") << "\n"
                        << "    certificate-authority: " << env("CUTTLE_TEST_K8S_CA") << "\n"
                        << "users:\n- name: p\n  user:\n    exec:\n"
                        << "      apiVersion: client.authentication.k8s.io/v1\n"
                        << "      command: " << plugin << "\n"
                        << "      env: [{name: REGION, value: eu}, {name: TOKEN, value: "
                        << env("CUTTLE_TEST_K8S_TOKEN") << "}]\n"
                        << "contexts:\n- name: x\n  context: {cluster: c, user: p}\n"
                        << "current-context: x\n";
  auto scheduler = open({{"kubeconfig", config}});
  EXPECT_EQ(scheduler->wait_until_done(scheduler->submit(shell("true")), 60s).state,
            JobState::kCompleted);
}

TEST_F(KubernetesTest, RefusedTokenNamesServerAndUser) {
  try {
    open({}, Credential::token("wrong-token"));
    FAIL() << "a wrong token was accepted";
  } catch (const AuthenticationFailed& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(env("CUTTLE_TEST_K8S_SERVER")), std::string::npos) << what;
    EXPECT_NE(what.find("token credential"), std::string::npos) << what;
    EXPECT_EQ(what.find("wrong-token"), std::string::npos) << "never print a secret";
  }
}

TEST_F(KubernetesTest, UnknownCertificateAuthorityIsRefused) {
  // The same kubeconfig with the server's CA swapped for an unrelated one.
  const std::string other_ca = dir_.path() + "/other-ca";
  ASSERT_EQ(
      runner_
          .run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                "/CN=other", "-keyout", other_ca + ".key", "-out", other_ca + ".crt"})
          .exit_code,
      0);
  const std::string config = dir_.path() + "/kubeconfig";
  ASSERT_EQ(runner_
                .run({"/bin/sh", "-c",
                      "sed 's|certificate-authority-data: .*|certificate-authority: " + other_ca +
                          ".crt|' \"$1\" > \"$2\"",
                      "sh", env("CUTTLE_TEST_K8S_KUBECONFIG"), config})
                .exit_code,
            0);
  try {
    open({{"kubeconfig", config}});
    FAIL() << "a server signed by another CA was trusted";
  } catch (const AuthenticationFailed& e) {
    EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(open({{"kubeconfig", config}, {"tls.insecure", "true"}}));
}

}  // namespace
}  // namespace cuttle
