// The reference's container example (shared/reference/000_*: an input directory staged to
// /work/input, `cd /work/input; ls > /work/output/workls.txt`, the listing back on the
// caller's side) on kubernetes:// against the API-server emulator of
// tests/env/kubernetes.sh: once through the library, once through `cuttle serve` with a
// kubernetes scheduler and the joblauncher contract. Files travel through the API server
// only (pods/exec).
#include <gtest/gtest.h>

#include "cuttle/cuttle.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

const char* kScript = "cd /work/input; ls > /work/output/workls.txt";

class KubernetesWorkls : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env("CUTTLE_TEST_K8S_KUBECONFIG").empty()) {
      if (in_ci()) FAIL() << "Kubernetes emulator not running";
      GTEST_SKIP() << "Kubernetes emulator not running: eval \"$(tests/env/kubernetes.sh start)\"";
    }
    fs::create_directories(dir_.path() + "/jobs/caller/input");
    write_file(dir_.path() + "/jobs/caller/input/a.txt", "a\n");
    write_file(dir_.path() + "/jobs/caller/input/b.txt", "b\n");
  }

  std::map<std::string, std::string> properties() const {
    return {{"kubeconfig", env("CUTTLE_TEST_K8S_KUBECONFIG")},
            {"default.image", env("CUTTLE_TEST_K8S_IMAGE")},
            {"logs.root", dir_.path() + "/logs"}};
  }
  std::string location() const {
    return "kubernetes://?namespace=" + env("CUTTLE_TEST_K8S_NAMESPACE");
  }

  TempDir dir_{"k8s-workls"};
};

TEST_F(KubernetesWorkls, ThroughTheLibrary) {
  auto scheduler = open_scheduler(location(), {properties(), {}});
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", kScript};
  d.container_image = env("CUTTLE_TEST_K8S_IMAGE");
  d.stage_in = {{dir_.path() + "/jobs/caller/input", "input"}};
  d.stage_out = {{"output/workls.txt", dir_.path() + "/jobs/caller/workls.txt"}};
  JobStatus status = scheduler->wait_until_done(scheduler->submit(d), std::chrono::minutes(3));
  ASSERT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(read_file(dir_.path() + "/jobs/caller/workls.txt"), "a.txt\nb.txt\n");
}

TEST_F(KubernetesWorkls, ThroughTheServiceWithAKubernetesScheduler) {
  const std::uint16_t port = free_port();
  json config = base_config(dir_.path(), port);
  config["schedulers"] = {{"k8s", {{"location", location()}, {"properties", properties()}}}};
  config["default_scheduler"] = "k8s";
  write_file(dir_.path() + "/config.json", config.dump(2));
  ServiceProcess service(dir_.path() + "/config.json", dir_.path() + "/service.log");
  ASSERT_TRUE(service.start(port)) << service.log();

  const std::string jobdir = dir_.path() + "/jobs/caller/";
  const std::string job = submit_job(port, {{"jobdir", jobdir},
                                            {"executable", "/bin/sh"},
                                            {"arguments", {"-c", kScript}},
                                            {"prestaged", {"input"}},
                                            {"poststaged", {"output/workls.txt"}},
                                            {"stdout", "stdout.txt"},
                                            {"stderr", "stderr.txt"}});
  ASSERT_FALSE(job.empty()) << service.log();
  json doc;
  ASSERT_TRUE(eventually(
      [&] {
        doc = job_document(port, job);
        return doc.is_object() && doc["status"]["done"] == true;
      },
      std::chrono::minutes(3)))
      << doc << service.log();
  EXPECT_EQ(doc["status"]["state"], "DONE") << doc;
  EXPECT_EQ(doc["status"]["exitCode"], 0) << doc;
  EXPECT_EQ(read_file(jobdir + "output/workls.txt"), "a.txt\nb.txt\n") << doc;
  EXPECT_TRUE(fs::exists(jobdir + "stdout.txt")) << doc;
  EXPECT_EQ(service.stop(), 0) << service.log();
}

}  // namespace
}  // namespace cuttle::rest::testing
