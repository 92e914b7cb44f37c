// rest-submit: POST /job of /bin/true jobs with wrk, each answered once its job is stored
// durably, against the same number of the same rows inserted by a bare loop with the
// same durability in the same run (bare_insert.h). One RESULT line for the SQLite store
// and, when CUTTLE_PG_CONNECTION names a server, one for PostgreSQL (a scratch database
// of its own on that server, dropped afterwards).
//   jobs_per_s: accepted answers per second; completed_per_s (SQLite): until every job ran
//   bare_rows_per_s: the reference; ratio = jobs_per_s / bare_rows_per_s
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/bare_insert.h"
#include "bench/rest_service.h"
#include "bench/scenario.h"
#include "cuttle/command_runner.h"

namespace cuttle::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Enough clients in flight that a group commit has company: each waits about one sync.
constexpr int kConnections = 128;
constexpr const char* kDuration = "2s";  // short: every accepted job really runs afterwards
constexpr double kBareSeconds = 5;       // the bare loop stops here if its rows are not done

struct Submitted {
  double jobs_per_s = 0;
  std::size_t accepted = 0;
  std::size_t completed = 0;
  double completed_per_s = 0;
};

Submitted submit_with_wrk(const Service& service, const fs::path& dir, bool wait_for_runs) {
  const json request = {{"jobdir", (service.dir / "jobs").string()}, {"executable", "/bin/true"}};
  const fs::path script = dir / "post.lua";
  std::ofstream(script) << "wrk.method = \"POST\"\nwrk.body = " << json(request.dump()).dump()
                        << "\nwrk.headers[\"Content-Type\"] = \"application/json\"\n";
  Submitted out;
  const double start = now_seconds();
  out.jobs_per_s = wrk_requests_per_second({"-s", script.string()}, service.url("/job"),
                                           kConnections, kDuration);
  if (wait_for_runs) {
    for (int i = 0; i < 600; ++i) {
      if (curl({service.url("/job?state=INITIAL,PENDING,RUNNING&limit=1")}) == "[]") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    out.completed = json::parse(curl({service.url("/job?state=DONE")})).size();
    out.completed_per_s = static_cast<double>(out.completed) / (now_seconds() - start);
  }
  out.accepted = json::parse(curl({service.url("/job")})).size();
  return out;
}

void report(const std::string& store, const Submitted& ours, const BareInserts& bare) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"store", store},
      {"connections", std::to_string(kConnections)},
      {"jobs_per_s", fmt(ours.jobs_per_s, 0)},
      {"accepted_jobs", std::to_string(ours.accepted)}};
  if (ours.completed > 0) {
    fields.push_back({"completed_jobs", std::to_string(ours.completed)});
    fields.push_back({"completed_per_s", fmt(ours.completed_per_s, 0)});
  }
  fields.insert(fields.end(), {{"bare_rows", std::to_string(bare.rows)},
                               {"bare_rows_per_s", fmt(bare.rows_per_s, 0)},
                               {"ratio", fmt(ours.jobs_per_s / bare.rows_per_s, 2)},
                               {"goal_jobs_per_s", "10000"},
                               {"goal_ratio", "0.5"}});
  print_result("rest-submit", fields);
}

json service_config(const json& store) {
  return {{"http_threads", kConnections + 8}, {"store", store}};
}

void submit_sqlite() {
  const fs::path dir = scratch("submit");
  const fs::path db = dir / "service/state/jobs.db";
  Submitted ours;
  {
    Service service(dir / "service", service_config({{"kind", "sqlite"}, {"path", db.string()}}));
    ours = submit_with_wrk(service, dir, true);
  }
  const BareInserts bare =
      bare_sqlite_inserts(db.string(), (dir / "bare.db").string(), ours.accepted, kBareSeconds);
  fs::remove_all(dir);
  report("sqlite", ours, bare);
}

// `psql -c SQL` on the server named by `connection`.
void psql(const std::string& connection, const std::string& sql) {
  LocalRunner runner;
  const auto r = runner.run({"psql", connection, "-Atqc", sql}, {{}, std::chrono::seconds(30)});
  if (r.exit_code != 0) throw std::runtime_error("psql: " + r.stderr_text);
}

void submit_postgres(const std::string& server) {
  const std::string name = "cuttle_bench_" + std::to_string(::getpid());
  psql(server, "CREATE DATABASE " + name);
  const std::string connection = server + " dbname=" + name;
  const fs::path dir = scratch("submit-pg");
  Submitted ours;
  BareInserts bare;
  try {
    {
      Service service(dir / "service",
                      service_config({{"kind", "postgresql"}, {"connection", connection}}));
      ours = submit_with_wrk(service, dir, false);
    }
    bare = bare_postgres_inserts(connection, ours.accepted, kBareSeconds);
  } catch (...) {
    psql(server, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    throw;
  }
  psql(server, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  fs::remove_all(dir);
  report("postgresql", ours, bare);
}

int rest_submit(const std::vector<std::string>&) {
  if (const char* server = std::getenv("CUTTLE_PG_CONNECTION")) submit_postgres(server);
  submit_sqlite();
  return 0;
}

CUTTLE_BENCH_SCENARIO("rest-submit",
                      "POST /job, durable (SQLite; PostgreSQL with CUTTLE_PG_CONNECTION) vs a "
                      "bare insert loop with the same rows and durability",
                      rest_submit);

}  // namespace
}  // namespace cuttle::bench
