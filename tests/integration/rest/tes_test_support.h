// Helpers for the GA4GH TES tests against the real service: a config with a tes section
// (roots, staging directory) on a chosen scheduler (local, slurm:// when
// CUTTLE_TEST_SLURM says the test Slurm runs, or kubernetes:// when the emulator of
// tests/env/kubernetes.sh runs), the busybox image, and TES calls.
// Thread-safety: used from the test thread.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/integration/container_test_env.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {

inline constexpr const char* kTes = "/ga4gh/tes/v1";

inline std::string busybox() { return container_test::Env::podman_image(); }

// The service config for TES tests rooted at `dir`: data/ is the one tes root.
inline json tes_config(const std::string& dir, std::uint16_t port, const std::string& scheduler) {
  json config = base_config(dir, port);
  config["tes"] = {{"roots", json::array({dir + "/data"})},
                   {"staging_directory", dir + "/state/tes"}};
  if (scheduler == "slurm") {
    config["schedulers"] = {
        {"slurm", {{"location", "slurm://"}, {"properties", {{"sandbox.root", dir + "/slurm"}}}}}};
  }
  if (scheduler == "kubernetes") {
    config["schedulers"] = {
        {"k8s",
         {{"location", "kubernetes://?namespace=" + env("CUTTLE_TEST_K8S_NAMESPACE")},
          {"properties",
           {{"kubeconfig", env("CUTTLE_TEST_K8S_KUBECONFIG")},
            {"logs.root", dir + "/k8s-logs"},
            {"cancel.grace", "2s"}}}}}};
  }
  return config;
}

// A TES task with one busybox executor running `sh -c script`.
inline json shell_task(const std::string& script) {
  return {{"executors", json::array({{{"image", busybox()},
                                      {"command", json::array({"/bin/sh", "-c", script})}}})}};
}

class TesServiceTest : public RestServiceTest {
 protected:
  TesServiceTest(const std::string& tag, std::string scheduler)
      : RestServiceTest(tag), scheduler_(std::move(scheduler)) {}
  void SetUp() override {
    if (scheduler_ == "kubernetes") {
      // Its pods run in the emulator's own podman, which has the busybox image.
      CUTTLE_REQUIRE_ENV("CUTTLE_TEST_K8S_KUBECONFIG");
    } else {
      CUTTLE_REQUIRE_CONTAINER_ENV("podman");
    }
    if (scheduler_ == "slurm") CUTTLE_REQUIRE_ENV("CUTTLE_TEST_SLURM");
    fs::create_directories(data());
    start(tes_config(dir_.path(), port_, scheduler_));
  }
  std::string data() const { return dir_.path() + "/data"; }
  HttpResult post_task(const json& task) {
    return http("POST", port_, std::string(kTes) + "/tasks", task.dump());
  }
  // POSTs `task`, expects 200 and returns the id.
  std::string create(const json& task) {
    const HttpResult r = post_task(task);
    EXPECT_EQ(r.status, 200) << r.body;
    const json body = json::parse(r.body, nullptr, false);
    return body.is_object() ? body.value("id", "") : "";
  }
  json task(const std::string& id, const std::string& view = "FULL") {
    const HttpResult r = http("GET", port_, std::string(kTes) + "/tasks/" + id + "?view=" + view);
    return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
  }
  std::string state(const std::string& id) { return task(id, "MINIMAL").value("state", ""); }
  // Waits (bounded) until the task reaches a final TES state; returns it (FULL view).
  json finished(const std::string& id) {
    static const std::set<std::string> kFinal = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR",
                                                 "CANCELED"};
    eventually([&] { return kFinal.count(state(id)) > 0; }, std::chrono::seconds(90));
    return task(id);
  }
  static void expect_refused(const HttpResult& r, const std::string& field) {
    EXPECT_EQ(r.status, 400) << r.body;
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body.value("field", ""), field) << r.body;
    EXPECT_FALSE(body.value("reason", "").empty()) << r.body;
  }

  std::string scheduler_;
};

}  // namespace cuttle::rest::testing
