// The fixture of the kubernetes:// integration tests: the API-server emulator of
// tests/env/kubernetes.sh (pods run for real in podman), a namespace of the test's own
// (created with the real kubectl), the emulator's fault switches scoped to it, and
// scheduler objects opened on it.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cuttle/cuttle.h"
#include "tests/integration/cli_fixture.h"
#include "tests/unit/test_util.h"

namespace cuttle {

class KubernetesTest : public CliTest {
 protected:
  void SetUp() override {
    if (testing::env("CUTTLE_TEST_K8S_KUBECONFIG").empty()) {
      if (testing::in_ci()) FAIL() << "Kubernetes emulator not running";
      GTEST_SKIP() << "Kubernetes emulator not running: eval \"$(tests/env/kubernetes.sh start)\"";
    }
    namespace_ = "it-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_);
    kubectl({"create", "namespace", namespace_});
  }
  void TearDown() override {
    if (!namespace_.empty()) {
      fault(nlohmann::json::object());
      runner_.run({"kubectl", "delete", "namespace", namespace_, "--wait=false"});
    }
  }

  CommandResult kubectl(std::vector<std::string> args, bool check = true) {
    args.insert(
        args.begin(),
        {"/usr/bin/env", "KUBECONFIG=" + testing::env("CUTTLE_TEST_K8S_KUBECONFIG"), "kubectl"});
    CommandOptions options;
    options.timeout = std::chrono::seconds(60);
    CommandResult r = runner_.run(args, options);
    if (check) {
      EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    }
    return r;
  }

  // Sets fault switches for this test's namespace ({} with reset semantics: the
  // emulator's per-namespace reset is "all counts 0").
  void fault(nlohmann::json switches) {
    switches["namespace"] = namespace_;
    if (switches.size() == 1) {
      for (const char* k : {"status429", "watchGoneAtConnect", "quota403", "unschedulable",
                            "vanishOnExit", "stuckTerminating", "status500Seconds", "slowStart"}) {
        switches[k] = 0;
      }
    }
    CommandResult r = runner_.run({"curl", "-sS", "--fail-with-body", "--cacert",
                                   testing::env("CUTTLE_TEST_K8S_CA"), "-H",
                                   "Authorization: Bearer " + testing::env("CUTTLE_TEST_K8S_TOKEN"),
                                   "-H", "Content-Type: application/json", "-d", switches.dump(),
                                   testing::env("CUTTLE_TEST_K8S_FAULTS")});
    ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  }

  std::string location() const { return "kubernetes://?namespace=" + namespace_; }

  std::shared_ptr<Scheduler> open(std::map<std::string, std::string> extra = {},
                                  Credential credential = {}) {
    SchedulerOptions options;
    options.properties = {{"kubeconfig", testing::env("CUTTLE_TEST_K8S_KUBECONFIG")},
                          {"default.image", testing::env("CUTTLE_TEST_K8S_IMAGE")},
                          {"logs.root", dir_.path() + "/logs"},
                          {"cancel.grace", "2s"}};
    for (auto& [k, v] : extra) options.properties[k] = v;
    options.credential = credential;
    return open_scheduler(location(), options);
  }

  static JobDescription shell(const std::string& script) {
    return cuttle::testing::job("/bin/sh", {"-c", script});
  }

  std::string namespace_;
  static inline int counter_ = 0;
};

}  // namespace cuttle
