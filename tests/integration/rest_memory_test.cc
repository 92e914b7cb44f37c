// What the REST service keeps in memory while it runs for months (issue 16): a finished
// job leaves the service and the scheduler under it, and is still served from the store
// and the adaptor's durable record; the cache of final documents stays within its bound.
// In-process: a JobService over SQLite and the real local adaptor (detached), with a
// test decorator that records which jobs the service asked its scheduler to forget.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "bindings/rest/finished_documents.h"
#include "bindings/rest/job_service.h"
#include "tests/integration/rest/forwarding_scheduler.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

using namespace std::chrono_literals;

class RecordsForget : public ForwardingScheduler {
 public:
  using ForwardingScheduler::ForwardingScheduler;
  void forget(const std::string& id) override {
    ForwardingScheduler::forget(id);
    std::lock_guard lock(mutex_);
    forgotten_.insert(id);
  }
  std::set<std::string> forgotten() {
    std::lock_guard lock(mutex_);
    return forgotten_;
  }
  using ForwardingScheduler::target;

 private:
  std::mutex mutex_;
  std::set<std::string> forgotten_;
};

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = 20s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

TEST(RestMemory, FinishedJobsAreForgottenByTheirSchedulerAndStillServed) {
  TempDir dir("memory");
  fs::create_directories(dir.path() + "/jobs");
  const json config_json = {
      {"listen", "127.0.0.1:0"},
      {"auth", {{"disable_tokens", true}}},
      {"store", {{"kind", "sqlite"}, {"path", dir.path() + "/jobs.db"}}},
      {"sandbox_root", dir.path() + "/sandboxes"},
      {"jobdir_roots", {dir.path() + "/jobs"}},
      {"poll_interval", "100ms"},
      {"schedulers",
       {{"local", {{"location", "local://"}, {"properties", {{"mode", "detached"}}}}}}}};
  const Config config = parse_config(config_json.dump(), "test");
  std::shared_ptr<RecordsForget> recorder;
  JobService service(config, [&](const std::string&, std::shared_ptr<Scheduler> scheduler) {
    recorder = std::make_shared<RecordsForget>(std::move(scheduler));
    return recorder;
  });
  service.start();
  const auto request = [&](const std::string& script) {
    return parse_job_request(json{{"jobdir", dir.path() + "/jobs"},
                                  {"executable", "/bin/sh"},
                                  {"arguments", {"-c", script}}}
                                 .dump(),
                             config);
  };
  const std::string finished = service.submit(request("exit 3"));
  const std::string running = service.submit(request("sleep 30"));
  const auto state_of = [&](const std::string& id) {
    return json::parse(service.document(id).value_or("{}"))["status"]["state"];
  };
  ASSERT_TRUE(eventually([&] { return state_of(finished) == "DONE"; }));
  ASSERT_TRUE(eventually([&] { return state_of(running) == "RUNNING"; }));
  const auto backend_of = [&](const std::string& id) {
    return json::parse(*service.document(id))["status"]["schedulerSpecficInformation"].value(
        "cuttle.backend_id", "");
  };
  const std::string finished_backend = backend_of(finished);
  ASSERT_FALSE(finished_backend.empty());
  // Once the final state is journaled, the service asks the scheduler to forget the job;
  // never a job that still runs.
  ASSERT_TRUE(eventually([&] { return recorder->forgotten().count(finished_backend) == 1; }));
  EXPECT_EQ(recorder->forgotten().size(), 1u);
  // The adaptor answers a forgotten id from the job's sandbox, as after a restart.
  const JobStatus again = recorder->target().status(finished_backend);
  EXPECT_EQ(again.state, JobState::kFailed);
  EXPECT_EQ(again.exit_code, 3);
  // The service answers from its store.
  EXPECT_EQ(json::parse(*service.document(finished))["status"]["exitCode"], 3);
  EXPECT_TRUE(service.is_final(finished));
  service.cancel(running, false);
  service.stop();
}

TEST(RestMemory, FinishedDocumentsStayWithinTheirByteBound) {
  FinishedDocuments documents(64 * 1024, 10s);
  const std::string document(1000, 'd');
  for (int i = 0; i < 1000; ++i) documents.put("job-" + std::to_string(i), document);
  EXPECT_LE(documents.bytes(), 64u * 1024);
  EXPECT_EQ(documents.get("job-999"), document);  // the most recent ones stay
  EXPECT_FALSE(documents.get("job-0"));           // the oldest went first
  documents.erase("job-999");
  EXPECT_FALSE(documents.get("job-999"));
  documents.put("huge", std::string(128 * 1024, 'h'));  // larger than the bound: not kept
  EXPECT_FALSE(documents.get("huge"));
  EXPECT_LE(documents.bytes(), 64u * 1024);
}

TEST(RestMemory, AFinishedDocumentExpiresSoAnotherInstancesPurgeIsSeen) {
  FinishedDocuments documents(64 * 1024, 50ms);
  documents.put("job", "{}");
  EXPECT_EQ(documents.get("job"), "{}");
  std::this_thread::sleep_for(80ms);
  EXPECT_FALSE(documents.get("job"));
  EXPECT_EQ(documents.bytes(), 0u);
}

// The service runs with glibc's per-thread caches off (service_allocator.h: with them,
// rest-soak grew 16 MiB over 100,000 jobs), and its jobs still see the environment the
// service was started with, not the setting.
class RestAllocator : public RestServiceTest {
 protected:
  RestAllocator() : RestServiceTest("cuttle-rest-allocator") {}
  void TearDown() override {
    RestServiceTest::TearDown();
    unsetenv("GLIBC_TUNABLES");
    unsetenv("CUTTLE_SERVE_ALLOCATOR");
  }
  // The environment the service process was executed with.
  std::string exec_environment() {
    std::string text = read_file("/proc/" + std::to_string(service_->pid()) + "/environ");
    std::replace(text.begin(), text.end(), '\0', '\n');
    return text;
  }
  // What a job of the service sees in GLIBC_TUNABLES, and how many of the names the
  // re-exec uses (CUTTLE_SERVE_ALLOCATOR_APPLIED, CUTTLE_SERVE_ORIGINAL_TUNABLES).
  std::string job_view() {
    const std::string job = submit("printf '%s|' \"${GLIBC_TUNABLES-unset}\" > " + jobs() +
                                   "/seen; env | grep -c -e '^CUTTLE_SERVE_ALLOCATOR_APPLIED=' -e "
                                   "'^CUTTLE_SERVE_ORIGINAL_TUNABLES=' >> " +
                                   jobs() + "/seen");
    EXPECT_TRUE(wait_state(job, "DONE"));
    return read_file(jobs() + "/seen");
  }
};

TEST_F(RestAllocator, TheServiceRunsWithoutPerThreadCachesAndItsJobsSeeTheCallersTunables) {
  setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=8", 1);
  start(base_config(dir_.path(), port_));
  // The re-exec happened, with the caller's tunables first (glibc rewrites the variable in
  // place when it parses it, so /proc shows only part of the value it applied).
  EXPECT_NE(exec_environment().find("\nCUTTLE_SERVE_ALLOCATOR_APPLIED=1\n"), std::string::npos)
      << exec_environment();
  EXPECT_NE(exec_environment().find("\nGLIBC_TUNABLES=glibc.malloc.arena_max=8"), std::string::npos)
      << exec_environment();
  EXPECT_NE(service_->log().find("allocator=\"per-thread caches off"), std::string::npos)
      << service_->log();
  EXPECT_EQ(job_view(), "glibc.malloc.arena_max=8|0\n");
}

TEST_F(RestAllocator, ACallersOwnTcacheSettingAndTheOptOutAreRespected) {
  setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=3", 1);
  start(base_config(dir_.path(), port_));
  EXPECT_EQ(exec_environment().find("CUTTLE_SERVE_ALLOCATOR_APPLIED"), std::string::npos);
  EXPECT_NE(service_->log().find("allocator=\"as GLIBC_TUNABLES sets it\""), std::string::npos)
      << service_->log();
  EXPECT_EQ(job_view(), "glibc.malloc.tcache_count=3|0\n");
  EXPECT_EQ(service_->stop(), 0);

  unsetenv("GLIBC_TUNABLES");
  setenv("CUTTLE_SERVE_ALLOCATOR", "default", 1);
  ASSERT_TRUE(service_->start(port_)) << service_->log();
  EXPECT_EQ(exec_environment().find("GLIBC_TUNABLES"), std::string::npos);
  EXPECT_EQ(exec_environment().find("CUTTLE_SERVE_ALLOCATOR_APPLIED"), std::string::npos);
  EXPECT_NE(service_->log().find("glibc defaults (CUTTLE_SERVE_ALLOCATOR=default)"),
            std::string::npos)
      << service_->log();
  fs::remove(jobs() + "/seen");
  EXPECT_EQ(job_view(), "unset|0\n");
}

}  // namespace
}  // namespace cuttle::rest::testing
