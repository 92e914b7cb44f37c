// kill -9 of the service with jobs in flight (200 local detached; 40 on the real Slurm; 50
// on kubernetes:// against the emulator):
// after a restart every job reaches its true final state, no job was started twice, and
// every callback URL got exactly one terminal PUT.
#include <cstdlib>
#include <iostream>
#include <set>

#include <gtest/gtest.h>

#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

// Submits `jobs` jobs to a service running `config`, kills it with SIGKILL while they are
// in flight, restarts it, and checks that every job reached its true final state, that
// exactly `jobs` sandboxes exist under `sandboxes` (nothing started twice), and that
// every callback URL got exactly one terminal PUT, the last one.
void kill_nine_loses_and_duplicates_nothing(const TempDir& dir, json config, int jobs,
                                            const std::string& sandboxes,
                                            std::chrono::seconds settle_limit) {
  CallbackServer receiver;
  const std::uint16_t port = free_port();
  config["listen"] = "127.0.0.1:" + std::to_string(port);
  fs::create_directories(dir.path() + "/jobs");
  write_file(dir.path() + "/config.json", config.dump(2));
  ServiceProcess service(dir.path() + "/config.json", dir.path() + "/service.log");
  ASSERT_TRUE(service.start(port)) << service.log();

  std::vector<std::string> locations;
  for (int i = 0; i < jobs; ++i) {
    const json request = {
        {"jobdir", dir.path() + "/jobs"},
        {"executable", "/bin/sh"},
        {"arguments", {"-c", "sleep " + std::to_string(i % 3) + "; exit " + std::to_string(i % 4)}},
        {"status_callback_url", receiver.url("/cb/" + std::to_string(i))}};
    auto r = http("POST", port, "/job", request.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    locations.push_back(r.headers["Location"]);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  service.kill9();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(service.start(port)) << service.log();

  ASSERT_TRUE(eventually(
      [&] {
        auto r = http("GET", port, "/job?state=INITIAL,PENDING,RUNNING");
        return r.status == 200 && json::parse(r.body).empty();
      },
      settle_limit))
      << service.log();

  for (int i = 0; i < jobs; ++i) {
    const json doc = job_document(port, locations[static_cast<std::size_t>(i)]);
    EXPECT_EQ(doc["status"]["state"], "DONE") << i << " " << doc;
    EXPECT_EQ(doc["status"]["exitCode"], i % 4) << i;
  }
  std::size_t sandbox_count = 0;
  std::string markers;  // what each sandbox recorded, for the failure message
  for (const auto& entry : fs::directory_iterator(sandboxes)) {
    if (!entry.is_directory()) continue;
    ++sandbox_count;
    markers += entry.path().filename().string() + ":";
    for (const char* marker : {"job_name", "name", "backend", "pid", "exit"}) {
      const fs::path file = entry.path() / ".cuttle" / marker;
      markers += std::string(" ") + marker + "=" +
                 (fs::exists(file) ? read_file(file.string()) : std::string("-"));
    }
    markers += "\n";
  }
  EXPECT_EQ(sandbox_count, static_cast<std::size_t>(jobs)) << markers;

  ASSERT_TRUE(eventually(
      [&] {
        for (int i = 0; i < jobs; ++i) {
          if (!receiver.done_accepted("/cb/" + std::to_string(i))) return false;
        }
        return true;
      },
      std::chrono::seconds(60)));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  // One terminal callback per job: one outbox row (seq). The documented window is a kill
  // after the receiver answered and before the delivery was recorded; that row is sent
  // again with the same seq, and only a callback worker's row in flight can be in it.
  std::size_t resent = 0;
  for (int i = 0; i < jobs; ++i) {
    const auto got = receiver.accepted("/cb/" + std::to_string(i));
    std::set<std::string> terminal_rows;
    int terminal = 0;
    for (const auto& r : got) {
      if (r.body["status"]["done"] != true) continue;
      ++terminal;
      EXPECT_FALSE(r.seq.empty()) << "job " << i;
      terminal_rows.insert(r.seq);
    }
    EXPECT_EQ(terminal_rows.size(), 1u) << "job " << i;
    resent += static_cast<std::size_t>(terminal) - terminal_rows.size();
    EXPECT_EQ(got.back().body["status"]["exitCode"], i % 4) << "job " << i;
  }
  const std::size_t workers = config["callbacks"].value("workers", std::size_t{4});
  EXPECT_LE(resent, workers) << "more resent terminal callbacks than could be in flight";
  EXPECT_EQ(service.stop(), 0);
}

TEST(RestCrash, KillNineWithLocalDetachedJobsInFlightLosesAndDuplicatesNothing) {
  TempDir dir("crash");
  json config = base_config(dir.path(), 0);
  config["submit_workers"] = 2;
  kill_nine_loses_and_duplicates_nothing(dir, config, 200, dir.path() + "/state/sandboxes/local",
                                         std::chrono::seconds(120));
}

// The same against the real Slurm of tests/env/slurm.sh (fewer jobs: one 2-CPU node).
// At most 10 of them are in Slurm at once (submit.max.in.flight): at the kill most are
// still waiting in the service for a slot, and they too run once each after the restart.
TEST(RestCrash, KillNineWithSlurmJobsInFlightLosesAndDuplicatesNothing) {
  if (env("CUTTLE_TEST_SLURM").empty()) {
    if (in_ci()) FAIL() << "CUTTLE_TEST_SLURM not set";
    GTEST_SKIP() << "no test Slurm: run eval \"$(tests/env/slurm.sh start)\" first";
  }
  TempDir dir("crash-slurm");
  json config = base_config(dir.path(), 0);
  config["submit_workers"] = 2;
  config["schedulers"] = {{"slurm",
                           {{"location", "slurm://"},
                            {"properties",
                             {{"sandbox.root", dir.path() + "/slurm"},
                              {"submit.max.in.flight", "10"},
                              {"poll.interval.min", "250ms"}}}}}};
  config["default_scheduler"] = "slurm";
  kill_nine_loses_and_duplicates_nothing(dir, config, 40, dir.path() + "/slurm",
                                         std::chrono::seconds(240));
}

// The same against kubernetes:// on the API-server emulator of tests/env/kubernetes.sh
// (each job a batch/v1 Job whose pod runs in podman): a Job created twice would leave a
// second log directory under logs.root.
TEST(RestCrash, KillNineWithKubernetesJobsInFlightLosesAndDuplicatesNothing) {
  const std::string kubeconfig = env("CUTTLE_TEST_K8S_KUBECONFIG");
  if (kubeconfig.empty()) {
    if (in_ci()) FAIL() << "CUTTLE_TEST_K8S_KUBECONFIG not set";
    GTEST_SKIP() << "no test cluster: run eval \"$(tests/env/kubernetes.sh start)\" first";
  }
  const char* namespace_name = std::getenv("CUTTLE_TEST_K8S_NAMESPACE");
  const char* image = std::getenv("CUTTLE_TEST_K8S_IMAGE");
  TempDir dir("crash-k8s");
  json config = base_config(dir.path(), 0);
  config["submit_workers"] = 2;
  config["schedulers"] = {{"k8s",
                           {{"location", std::string("kubernetes://?namespace=") +
                                             (namespace_name ? namespace_name : "")},
                            {"properties",
                             {{"kubeconfig", kubeconfig},
                              {"default.image", image ? image : "localhost/busybox:latest"},
                              {"logs.root", dir.path() + "/k8s"}}}}}};
  config["default_scheduler"] = "k8s";
  kill_nine_loses_and_duplicates_nothing(dir, config, 50, dir.path() + "/k8s",
                                         std::chrono::seconds(300));
}

// The window between the scheduler accepting a job and the store learning its backend id.
class RestCrashWindow : public ::testing::Test {
 protected:
  // Writes a config with one submit worker, starts the service as rest_fault_serve,
  // submits one job that appends to ran.txt, and returns its Location once the service
  // died right after the scheduler accepted the job, before it stored the backend id.
  // The death races the 201 (the submit worker launches while the I/O thread answers):
  // a client may get no answer at all, as a real one may. Then "" is returned, and
  // expect_ran_once finds the job's URL in GET /job of the restarted service.
  std::string submit_and_crash_before_the_backend_id() {
    fs::create_directories(dir.path() + "/jobs");
    json config = base_config(dir.path(), port);
    config["submit_workers"] = 1;
    write_file(dir.path() + "/config.json", config.dump(2));
    service.use_command({binary_dir() + "/rest_fault_serve"});
    EXPECT_TRUE(service.start(port)) << service.log();
    const json request = {{"jobdir", dir.path() + "/jobs"},
                          {"executable", "/bin/sh"},
                          {"arguments", {"-c", "sleep 1; echo once >> ran.txt; exit 5"}},
                          {"poststaged", {"ran.txt"}},
                          {"status_callback_url", receiver.url("/cb")}};
    std::string location;
    try {
      auto r = http("POST", port, "/job", request.dump());
      EXPECT_EQ(r.status, 201) << r.body;
      location = r.headers["Location"];
    } catch (const std::exception& e) {
      std::cerr << "no answer to POST /job (" << e.what() << "): the crash came first\n";
    }
    // The service dies right after the scheduler accepted the job.
    EXPECT_TRUE(eventually(
        [&] {
          try {
            http("GET", port, "/health");
            return false;
          } catch (const std::exception&) {
            return true;
          }
        },
        std::chrono::seconds(20)));
    service.kill9();  // reap it
    return location;
  }

  // The job ran once, ended with its own exit code, left one sandbox and one terminal
  // callback.
  void expect_ran_once(std::string location) {
    if (location.empty()) {  // the POST got no answer: the store still has the one job
      const auto r = http("GET", port, "/job");
      ASSERT_EQ(r.status, 200) << r.body;
      const json urls = json::parse(r.body);
      ASSERT_EQ(urls.size(), 1u) << r.body;
      location = urls[0].get<std::string>();
    }
    ASSERT_TRUE(eventually([&] { return job_document(port, location)["status"]["done"] == true; },
                           std::chrono::seconds(30)))
        << service.log();
    const json doc = job_document(port, location);
    EXPECT_EQ(doc["status"]["state"], "DONE");
    EXPECT_EQ(doc["status"]["exitCode"], 5);
    EXPECT_EQ(read_file(dir.path() + "/jobs/ran.txt"), "once\n");
    std::size_t sandboxes = 0;
    for (const auto& entry : fs::directory_iterator(dir.path() + "/state/sandboxes/local")) {
      sandboxes += entry.is_directory() ? 1 : 0;
    }
    EXPECT_EQ(sandboxes, 1u);
    ASSERT_TRUE(
        eventually([&] { return receiver.done_accepted("/cb"); }, std::chrono::seconds(20)));
    EXPECT_EQ(receiver.terminal_callbacks("/cb"), 1);
  }

  CallbackServer receiver;
  TempDir dir{"window"};
  const std::uint16_t port = free_port();
  ServiceProcess service{dir.path() + "/config.json", dir.path() + "/service.log"};
};

// The restarted service finds the job by name (our id) and adopts it instead of starting
// it again.
TEST_F(RestCrashWindow, CrashBetweenSubmitAndRecordingTheBackendIdIsRecoveredNotDuplicated) {
  const std::string location = submit_and_crash_before_the_backend_id();
  service.use_command({});
  ASSERT_TRUE(service.start(port)) << service.log();
  expect_ran_once(location);
  EXPECT_NE(service.log().find("count=1 resubmitted=0 unanswered=0"), std::string::npos)
      << service.log();
  EXPECT_EQ(service.stop(), 0);
}

// Then the scheduler does not answer the search for the job: the restarted service must
// not guess that the job is absent (submitting it a second time); it searches again at
// each poll until the scheduler answers, and adopts what it finds.
TEST_F(RestCrashWindow, ASearchTheSchedulerDoesNotAnswerIsRepeatedNotGuessed) {
  const std::string location = submit_and_crash_before_the_backend_id();
  // Recovery's search and the first poll's fail; the second poll's answers.
  ::setenv("CUTTLE_TEST_FAULT", "find-unanswered=2", 1);
  const bool started = service.start(port);
  ::unsetenv("CUTTLE_TEST_FAULT");
  ASSERT_TRUE(started) << service.log();
  expect_ran_once(location);
  const std::string log = service.log();
  EXPECT_NE(log.find("count=1 resubmitted=0 unanswered=1"), std::string::npos) << log;
  std::size_t searches_failed = 0;
  for (std::size_t at = log.find("searching again"); at != std::string::npos;
       at = log.find("searching again", at + 1)) {
    ++searches_failed;
  }
  EXPECT_EQ(searches_failed, 2u) << log;
  EXPECT_EQ(service.stop(), 0);
}

}  // namespace
}  // namespace cuttle::rest::testing
