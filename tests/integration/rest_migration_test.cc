// Schema migrations: applied once under a lock, the version recorded, several instances
// started at the same moment on an empty PostgreSQL database all come up, and a database
// newer than this build is refused with a message that says so.
#include <gtest/gtest.h>

#include <Poco/UUIDGenerator.h>

#include "bindings/rest/job_store.h"
#include "bindings/rest/schema_migrations.h"
#include "bindings/rest/sql_statement.h"
#include "cuttle/error.h"
#include "tests/integration/rest/rest_test_support.h"
#include "tests/integration/rest/scratch_database.h"

namespace cuttle::rest::testing {
namespace {

std::vector<std::int64_t> recorded_versions(SqlRunner& sql) {
  std::vector<std::int64_t> out;
  for (const auto& r : sql.query("SELECT version FROM cuttle_schema_migrations ORDER BY version"))
    out.push_back(sql_int(r[0]));
  return out;
}

std::vector<std::int64_t> all_versions() {
  std::vector<std::int64_t> out;
  for (int v = 1; v <= latest_schema_version(); ++v) out.push_back(v);
  return out;
}

TEST(RestMigrations, SqliteRecordsEachVersionOnceAndRefusesANewerSchema) {
  TempDir dir("migrate");
  const std::string path = dir.path() + "/jobs.db";
  open_job_store({"sqlite", path, ""});
  open_job_store({"sqlite", path, ""});  // a second start applies nothing again
  Poco::Data::Session session("SQLite", path);
  SqlRunner sql(session, false);
  EXPECT_EQ(recorded_versions(sql), all_versions());

  const std::int64_t newer = latest_schema_version() + 1;
  sql.exec(
      "INSERT INTO cuttle_schema_migrations (version, description, applied_ms) VALUES "
      "(?, 'from a newer cuttle', 0)",
      {newer});
  try {
    open_job_store({"sqlite", path, ""});
    FAIL() << "a newer schema was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("schema is version " + std::to_string(newer)),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("newer than this cuttle knows"), std::string::npos);
  }
}

TEST(RestMigrations, SqliteAdoptsADatabaseCreatedBeforeVersioning) {
  TempDir dir("migrate-old");
  const std::string path = dir.path() + "/jobs.db";
  open_job_store({"sqlite", path, ""});  // registers the connectors
  {
    Poco::Data::Session session("SQLite", path + ".old");
    SqlRunner sql(session, false);
    // The tables as the unversioned store created them, with one job in them.
    sql.exec(
        "CREATE TABLE cuttle_jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL "
        "UNIQUE, owner TEXT NOT NULL, scheduler TEXT NOT NULL, backend_id TEXT NOT NULL, "
        "state TEXT NOT NULL, final INTEGER NOT NULL, request TEXT NOT NULL, status TEXT "
        "NOT NULL, callback_url TEXT NOT NULL, created_ms BIGINT NOT NULL, updated_ms "
        "BIGINT NOT NULL)");
    sql.exec(
        "INSERT INTO cuttle_jobs (id, owner, scheduler, backend_id, state, final, request, "
        "status, callback_url, created_ms, updated_ms) VALUES ('old-job', 'a', 'local', "
        "'', 'New', 0, '{}', '{}', '', 1, 1)");
    // A job of another contract: its contract and name only inside its request.
    sql.exec(
        "INSERT INTO cuttle_jobs (id, owner, scheduler, backend_id, state, final, request, "
        "status, callback_url, created_ms, updated_ms) VALUES ('old-task', 'a', 'local', "
        "'', 'New', 0, ?, '{}', '', 1, 1)",
        {std::string(R"({"name": "align", "contract": {"name": "tes", "document": {}}})")});
  }
  auto store = open_job_store({"sqlite", path + ".old", ""});
  auto job = store->get_job("old-job");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, "New");
  EXPECT_EQ(job->contract, "");
  // Version 3 copied contract and name out of the stored request, so listings find it.
  auto task = store->get_job("old-task");
  ASSERT_TRUE(task);
  EXPECT_EQ(task->contract, "tes");
  EXPECT_EQ(task->name, "align");
  const auto tasks = store->list_jobs({{}, "tes", "al"}, 0, 10);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].id, "old-task");
}

TEST(RestMigrations, ThreeInstancesStartedTogetherOnAnEmptyPostgresqlDatabaseAllComeUp) {
  CUTTLE_REQUIRE_ENV("CUTTLE_PG_CONNECTION");
  for (int trial = 0; trial < 10; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    ScratchDatabase database;
    TempDir dir("migrate-pg");
    fs::create_directories(dir.path() + "/jobs");
    std::vector<std::unique_ptr<ServiceProcess>> services;
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < 3; ++i) {
      ports.push_back(free_port());
      json config = base_config(dir.path(), ports.back());
      config["store"] = {{"kind", "postgresql"}, {"connection", database.connection()}};
      config["instance"] = "instance-" + std::to_string(i);
      const std::string base = dir.path() + "/" + std::to_string(i);
      write_file(base + ".json", config.dump());
      services.push_back(std::make_unique<ServiceProcess>(base + ".json", base + ".log"));
    }
    std::vector<std::thread> starters;
    std::vector<int> up(3, 0);
    for (int i = 0; i < 3; ++i) {
      starters.emplace_back([&, i] { up[i] = services[i]->start(ports[i]) ? 1 : 0; });
    }
    for (auto& t : starters) t.join();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(up[i], 1) << services[i]->log();
    // Each migration was applied once, by one of them.
    Poco::Data::Session session("PostgreSQL", database.connection());
    SqlRunner sql(session, true);
    EXPECT_EQ(recorded_versions(sql), all_versions());
    for (auto& s : services) EXPECT_EQ(s->stop(), 0);
  }
}

TEST(RestMigrations, AnInstanceMeetingANewerPostgresqlSchemaRefusesToStart) {
  CUTTLE_REQUIRE_ENV("CUTTLE_PG_CONNECTION");
  ScratchDatabase database;
  open_job_store({"postgresql", "", database.connection()});
  {
    Poco::Data::Session session("PostgreSQL", database.connection());
    SqlRunner(session, true)
        .exec(
            "INSERT INTO cuttle_schema_migrations (version, description, applied_ms) VALUES "
            "(?, 'from a newer cuttle', 0)",
            {std::int64_t(latest_schema_version() + 7)});
  }
  TempDir dir("migrate-newer");
  fs::create_directories(dir.path() + "/jobs");
  const std::uint16_t port = free_port();
  json config = base_config(dir.path(), port);
  config["store"] = {{"kind", "postgresql"}, {"connection", database.connection()}};
  write_file(dir.path() + "/config.json", config.dump());
  ServiceProcess service(dir.path() + "/config.json", dir.path() + "/service.log");
  EXPECT_FALSE(service.start(port));
  EXPECT_NE(service.exit_code(), 0);
  const std::string expected =
      "schema is version " + std::to_string(latest_schema_version() + 7) + ", newer than this";
  EXPECT_NE(service.log().find(expected), std::string::npos) << service.log();
}

}  // namespace
}  // namespace cuttle::rest::testing
