// The service survives its database: PostgreSQL (a cluster this test owns) is killed
// mid-run and started again. Meanwhile requests that need the store get 503 with
// Retry-After, /health says the store is down, the instance's own finished jobs are
// served as finished; afterwards, without restarting the service, /health is up, every
// state and exactly one terminal callback per job arrive, and nothing accepted is lost.
#include <gtest/gtest.h>

#include "bindings/rest/job_store.h"
#include "tests/integration/rest/own_postgres.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

constexpr int kJobs = 4;

TEST(RestOutage, PostgresqlKilledAndRestartedMidRunLosesNothing) {
  OwnPostgres postgres;
  std::string pg_log;
  ASSERT_TRUE(postgres.start(&pg_log)) << pg_log;

  CallbackServer receiver;
  TempDir dir("outage");
  fs::create_directories(dir.path() + "/jobs");
  const std::uint16_t port = free_port();
  json config = base_config(dir.path(), port);
  config["store"] = {{"kind", "postgresql"}, {"connection", postgres.connection()}};
  config["instance"] = "outage-a";
  config["poll_interval"] = "500ms";
  write_file(dir.path() + "/config.json", config.dump());
  ServiceProcess service(dir.path() + "/config.json", dir.path() + "/service.log");
  ASSERT_TRUE(service.start(port)) << service.log();

  // Jobs that end while the database is away: their final state must wait, not vanish.
  write_file(dir.path() + "/jobs/run.sh", "sleep 4; echo 'it''s \"done\" $(x)'; exit 3\n");
  std::vector<std::string> locations;
  for (int i = 0; i < kJobs; ++i) {
    const json request = {{"jobdir", dir.path() + "/jobs"},
                          {"executable", "/bin/sh"},
                          {"arguments", {"run.sh"}},
                          {"prestaged", {"run.sh"}},
                          {"status_callback_url", receiver.url("/cb/" + std::to_string(i))}};
    auto r = http("POST", port, "/job", request.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    locations.push_back(r.headers["Location"]);
  }
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& l : locations) {
          if (job_document(port, l)["status"]["state"] != "RUNNING") return false;
        }
        return true;
      },
      std::chrono::seconds(20)))
      << service.log();

  ASSERT_TRUE(postgres.kill(&pg_log)) << pg_log;

  // Health says so, with a reason, as a 503 a load balancer understands.
  HttpResult health;
  ASSERT_TRUE(eventually(
      [&] {
        health = http("GET", port, "/health");
        return health.status == 503;
      },
      std::chrono::seconds(10)))
      << health.status << " " << health.body;
  EXPECT_FALSE(json::parse(health.body)["store"]["up"].get<bool>());

  // A request that needs the store: 503 with Retry-After, never a 500.
  const json late = {{"jobdir", dir.path() + "/jobs"},
                     {"executable", "/bin/true"},
                     {"status_callback_url", receiver.url("/cb/late")}};
  auto refused = http("POST", port, "/job", late.dump());
  EXPECT_EQ(refused.status, 503) << refused.body;
  ASSERT_TRUE(refused.headers.count("Retry-After"));
  EXPECT_GE(std::stoi(refused.headers["Retry-After"]), 1);
  auto list = http("GET", port, "/job");
  EXPECT_EQ(list.status, 503) << list.body;
  EXPECT_TRUE(list.headers.count("Retry-After"));

  // The jobs end during the outage: this instance serves them as finished, not RUNNING.
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& l : locations) {
          const json doc = job_document(port, l);
          if (doc["status"]["done"] != true || doc["status"]["exitCode"] != 3) return false;
        }
        return true;
      },
      std::chrono::seconds(30)))
      << service.log();
  EXPECT_GT(json::parse(http("GET", port, "/health").body)["store"]["held_changes"].get<int>(), 0);
  for (int i = 0; i < kJobs; ++i) {
    for (const auto& got : receiver.accepted("/cb/" + std::to_string(i))) {
      EXPECT_NE(got.body["status"]["done"], true) << "a terminal callback before it was stored";
    }
  }

  ASSERT_TRUE(postgres.start(&pg_log)) << pg_log;

  // Back without restarting the service.
  ASSERT_TRUE(eventually([&] { return http("GET", port, "/health").status == 200; },
                         std::chrono::seconds(30)))
      << service.log();
  ASSERT_TRUE(eventually(
      [&] {
        for (int i = 0; i < kJobs; ++i) {
          if (!receiver.done_accepted("/cb/" + std::to_string(i))) return false;
        }
        return true;
      },
      std::chrono::seconds(30)))
      << service.log();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // room for a duplicate to show
  for (int i = 0; i < kJobs; ++i) {
    EXPECT_EQ(receiver.terminal_callbacks("/cb/" + std::to_string(i)), 1) << "job " << i;
  }
  EXPECT_TRUE(receiver.accepted("/cb/late").empty());

  // The database holds the final states (another instance reads them from there), and
  // the journal each change once.
  auto store = open_job_store({"postgresql", "", postgres.connection()});
  for (const auto& l : locations) {
    const std::string id = l.substr(l.rfind('/') + 1);
    auto row = store->get_job(id);
    ASSERT_TRUE(row) << id;
    EXPECT_TRUE(row->final);
    EXPECT_EQ(row->state, "Failed");
    std::vector<std::string> states;
    for (const auto& e : store->events(id, 0)) states.push_back(e.state);
    EXPECT_EQ(std::count(states.begin(), states.end(), "Failed"), 1);
    EXPECT_EQ(std::count(states.begin(), states.end(), "Running"), 1);
  }
  EXPECT_EQ(http("GET", port, "/job").status, 200);

  // New work is accepted again, by the same process.
  auto again = http("POST", port, "/job", late.dump());
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_TRUE(eventually(
      [&] { return job_document(port, again.headers["Location"])["status"]["done"] == true; },
      std::chrono::seconds(20)));
  EXPECT_EQ(service.stop(), 0);
}

}  // namespace
}  // namespace cuttle::rest::testing
