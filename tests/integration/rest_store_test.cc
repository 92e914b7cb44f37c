// The durable job store, SQLite (embedded) and PostgreSQL (a real server started by
// tests/env/postgres.sh): the journal, the final state recorded once with its callback,
// restarts, and two service instances sharing one PostgreSQL database.
#include <gtest/gtest.h>

#include <Poco/UUIDGenerator.h>

#include "bindings/rest/job_store.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

std::string unique(const std::string& prefix) {
  return prefix + Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

void exercise_store(JobStore& store, const std::string& owner) {
  const std::string id = unique("job-");
  JobRow row{0,     id,
             owner, "local",
             "",    "New",
             false, "{\"x\":\"it's \\\"quoted\\\"\"}",
             "{}",  "http://127.0.0.1:1/cb",
             1000,  1000,
             "tes", "al_%\u00fc " + id};
  store.insert_job(row, {0, id, 1000, "New", "{}"});
  store.set_backend_id(id, "backend-1");

  row.backend_id = "backend-1";
  row.state = "Running";
  row.status = "{\"state\":\"RUNNING\"}";
  row.updated_ms = 2000;
  auto seq =
      store.record_change(row, {0, id, 2000, "Running", row.status},
                          OutboxRow{0, id, row.callback_url, "{\"running\":1}", false, 2000});
  ASSERT_TRUE(seq.has_value());
  EXPECT_GT(*seq, 0);

  row.state = "Completed";
  row.final = true;
  row.status = "{\"state\":\"DONE\"}";
  row.updated_ms = 3000;
  auto terminal =
      store.record_change(row, {0, id, 3000, "Completed", row.status},
                          OutboxRow{0, id, row.callback_url, "{\"done\":1}", true, 3000});
  ASSERT_TRUE(terminal.has_value());
  // A second final observation (say, after a restart) records nothing and queues no callback.
  row.state = "Failed";
  EXPECT_FALSE(store
                   .record_change(row, {0, id, 4000, "Failed", "{}"},
                                  OutboxRow{0, id, row.callback_url, "{}", true, 4000})
                   .has_value());

  auto stored = store.get_job(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "Completed");
  EXPECT_TRUE(stored->final);
  EXPECT_EQ(stored->backend_id, "backend-1");
  EXPECT_EQ(stored->request, "{\"x\":\"it's \\\"quoted\\\"\"}");
  auto events = store.events(id, 0);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].state, "New");
  EXPECT_EQ(events[2].state, "Completed");
  EXPECT_EQ(store.events(id, events[1].seq).size(), 1u);

  auto pending = store.pending_callbacks(owner);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_FALSE(pending[0].terminal);
  EXPECT_TRUE(pending[1].terminal);
  store.callback_done(pending[0].seq);
  EXPECT_EQ(store.pending_callbacks(owner).size(), 1u);

  EXPECT_TRUE(store.active_jobs(owner).empty());
  auto listed = [&](const JobListFilter& filter) {
    const auto rows = store.list_jobs(filter, 0, 1000000);
    return std::any_of(rows.begin(), rows.end(), [&](const JobRow& j) { return j.id == id; });
  };
  EXPECT_TRUE(listed({{"Completed"}, std::nullopt, ""}));
  EXPECT_FALSE(listed({{"Running"}, std::nullopt, ""}));
  // Contract and name prefix filtered by the database: byte for byte (no LIKE wildcards),
  // whole characters of UTF-8; a prefix that is not UTF-8 matches nothing.
  EXPECT_TRUE(listed({{}, "tes", "al_%\u00fc " + id.substr(0, 6)}));
  EXPECT_TRUE(listed({{"Completed"}, "tes", "al_%"}));
  EXPECT_FALSE(listed({{}, "", ""}));
  EXPECT_FALSE(listed({{}, "tes", "alx"}));
  EXPECT_FALSE(listed({{}, "tes", "al__"}));
  EXPECT_FALSE(listed({{}, "tes", "al_%\xc3"}));
  const auto fetched = store.get_job(id);
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->contract, "tes");
  EXPECT_EQ(fetched->name, row.name);

  auto purged = store.purge_finished(3500);
  EXPECT_TRUE(
      std::any_of(purged.begin(), purged.end(), [&](const JobRow& j) { return j.id == id; }));
  EXPECT_FALSE(store.get_job(id));
  EXPECT_TRUE(store.events(id, 0).empty());
}

TEST(RestStore, SqliteJournalRecordsTheFinalStateOnce) {
  TempDir dir("store");
  auto store = open_job_store({"sqlite", dir.path() + "/jobs.db", ""});
  exercise_store(*store, "sqlite-test");
}

TEST(RestStore, PostgresqlJournalRecordsTheFinalStateOnce) {
  CUTTLE_REQUIRE_ENV("CUTTLE_PG_CONNECTION");
  auto store = open_job_store({"postgresql", "", std::getenv("CUTTLE_PG_CONNECTION")});
  exercise_store(*store, unique("pg-"));
}

json postgres_config(const std::string& dir, std::uint16_t port, const std::string& instance) {
  json config = base_config(dir, port);
  config["store"] = {{"kind", "postgresql"}, {"connection", std::getenv("CUTTLE_PG_CONNECTION")}};
  config["instance"] = instance;
  return config;
}

TEST(RestStore, PostgresqlServiceKeepsJobsAcrossARestartAndSharesThemBetweenInstances) {
  CUTTLE_REQUIRE_ENV("CUTTLE_PG_CONNECTION");
  TempDir dir("pg");
  fs::create_directories(dir.path() + "/jobs");
  const std::uint16_t port_a = free_port();
  const std::uint16_t port_b = free_port();
  write_file(dir.path() + "/a.json", postgres_config(dir.path(), port_a, unique("a-")).dump());
  write_file(dir.path() + "/b.json", postgres_config(dir.path(), port_b, unique("b-")).dump());
  ServiceProcess a(dir.path() + "/a.json", dir.path() + "/a.log");
  ServiceProcess b(dir.path() + "/b.json", dir.path() + "/b.log");
  ASSERT_TRUE(a.start(port_a)) << a.log();
  ASSERT_TRUE(b.start(port_b)) << b.log();

  const json request = {{"jobdir", dir.path() + "/jobs"},
                        {"executable", "/bin/sh"},
                        {"arguments", {"-c", "echo pg > out.txt; exit 4"}},
                        {"poststaged", {"out.txt"}}};
  auto r = http("POST", port_a, "/job", request.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string location = r.headers["Location"];
  const std::string path = location.substr(location.find("/job/"));
  ASSERT_TRUE(eventually([&] { return job_document(port_a, location)["status"]["done"] == true; },
                         std::chrono::seconds(30)));
  EXPECT_EQ(job_document(port_a, location)["status"]["exitCode"], 4);
  EXPECT_EQ(read_file(dir.path() + "/jobs/out.txt"), "pg\n");

  // Instance B answers for A's job from the shared store.
  auto from_b = http("GET", port_b, path);
  ASSERT_EQ(from_b.status, 200);
  EXPECT_EQ(json::parse(from_b.body), job_document(port_a, location));
  EXPECT_EQ(http("GET", port_b, path + "/events").status, 200);

  // A restart of A keeps the job and its journal.
  EXPECT_EQ(a.stop(), 0);
  ASSERT_TRUE(a.start(port_a)) << a.log();
  const json after = job_document(port_a, location);
  EXPECT_EQ(after["status"]["state"], "DONE");
  EXPECT_EQ(after["status"]["exitCode"], 4);
  const json events = json::parse(http("GET", port_a, path + "/events").body);
  EXPECT_GE(events["events"].size(), 2u);
  EXPECT_EQ(events["events"].back()["state"], "DONE");
}

}  // namespace
}  // namespace cuttle::rest::testing
