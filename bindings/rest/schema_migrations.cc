#include "bindings/rest/schema_migrations.h"

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>

#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;

namespace {

// Any fixed 64-bit number no other application on the database uses: ASCII "cuttle".
constexpr std::int64_t kMigrationLockKey = 0x637574746c65;

struct Migration {
  int version;
  const char* what;
  std::function<void(SqlRunner&)> apply;
};

// Version 1 is the schema that databases created before versioning already have, hence
// IF NOT EXISTS: such a database is adopted as version 1, not recreated.
void create_initial_tables(SqlRunner& sql) {
  const std::string key =
      sql.postgres() ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
  sql.exec("CREATE TABLE IF NOT EXISTS cuttle_jobs (seq " + key +
           ", id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, scheduler TEXT NOT NULL, "
           "backend_id TEXT NOT NULL, state TEXT NOT NULL, final INTEGER NOT NULL, "
           "request TEXT NOT NULL, status TEXT NOT NULL, callback_url TEXT NOT NULL, "
           "created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS cuttle_events (seq " + key +
           ", job_id TEXT NOT NULL, time_ms BIGINT NOT NULL, state TEXT NOT NULL, "
           "status TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS cuttle_outbox (seq " + key +
           ", job_id TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL, "
           "terminal INTEGER NOT NULL, created_ms BIGINT NOT NULL, delivered INTEGER NOT NULL)");
  sql.exec("CREATE INDEX IF NOT EXISTS cuttle_events_job ON cuttle_events (job_id, seq)");
  sql.exec("CREATE INDEX IF NOT EXISTS cuttle_jobs_active ON cuttle_jobs (final, owner)");
  sql.exec("CREATE INDEX IF NOT EXISTS cuttle_outbox_pending ON cuttle_outbox (delivered, seq)");
}

// Leases: one row per instance with its fencing token and lease expiry; each job records
// the token of the lease under which its owner holds it; one counter issues tokens.
void add_leases(SqlRunner& sql) {
  sql.exec(
      "CREATE TABLE cuttle_instances (instance TEXT PRIMARY KEY, token BIGINT NOT NULL, "
      "expires_ms BIGINT NOT NULL, renewed_ms BIGINT NOT NULL, started_ms BIGINT NOT NULL, "
      "down_since_ms BIGINT NOT NULL)");
  sql.exec("CREATE TABLE cuttle_fencing (last BIGINT NOT NULL)");
  sql.exec("INSERT INTO cuttle_fencing (last) VALUES (0)");
  sql.exec("ALTER TABLE cuttle_jobs ADD COLUMN owner_token BIGINT NOT NULL DEFAULT 0");
}

// Each job's contract and name as columns, so a contract's listing (TES's name_prefix,
// its own jobs among every contract's) is filtered by the database instead of by reading
// every job's document. Jobs stored before carry both inside their request JSON: copied
// out, in batches of rows, in the migration's transaction.
void add_contract_and_name(SqlRunner& sql) {
  sql.exec("ALTER TABLE cuttle_jobs ADD COLUMN contract TEXT NOT NULL DEFAULT ''");
  sql.exec("ALTER TABLE cuttle_jobs ADD COLUMN name TEXT NOT NULL DEFAULT ''");
  sql.exec("CREATE INDEX cuttle_jobs_contract ON cuttle_jobs (contract, seq)");
  std::int64_t after = 0;
  while (true) {
    const auto rows = sql.query(
        "SELECT seq, request FROM cuttle_jobs WHERE seq > ? ORDER BY seq LIMIT 1000", {after});
    if (rows.empty()) return;
    for (const auto& row : rows) {
      after = sql_int(row[0]);
      const auto request = nlohmann::json::parse(sql_string(row[1]), nullptr, false);
      if (!request.is_object()) continue;
      std::string contract;
      std::string name;
      if (auto c = request.find("contract"); c != request.end() && c->is_object()) {
        if (auto n = c->find("name"); n != c->end() && n->is_string()) {
          contract = n->get<std::string>();
        }
      }
      if (auto n = request.find("name"); n != request.end() && n->is_string()) {
        name = n->get<std::string>();
      }
      if (contract.empty() && name.empty()) continue;
      sql.exec("UPDATE cuttle_jobs SET contract=?, name=? WHERE seq=?", {contract, name, after});
    }
  }
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "jobs, journal and callback outbox", create_initial_tables},
      {2, "instance leases and fencing tokens", add_leases},
      {3, "contract and name columns for filtered listings", add_contract_and_name},
  };
  return kMigrations;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void apply_pending(SqlRunner& sql) {
  sql.exec(
      "CREATE TABLE IF NOT EXISTS cuttle_schema_migrations (version INTEGER PRIMARY KEY, "
      "description TEXT NOT NULL, applied_ms BIGINT NOT NULL)");
  const auto rows = sql.query("SELECT MAX(version) FROM cuttle_schema_migrations");
  const std::int64_t current = rows.empty() ? 0 : sql_int(rows[0][0]);
  if (current > latest_schema_version()) {
    throw InvalidArgument("job store: the database schema is version " + std::to_string(current) +
                          ", newer than this cuttle knows (" +
                          std::to_string(latest_schema_version()) +
                          "); upgrade this instance or point it at another database");
  }
  for (const auto& m : migrations()) {
    if (m.version <= current) continue;
    m.apply(sql);
    sql.exec(
        "INSERT INTO cuttle_schema_migrations (version, description, applied_ms) VALUES "
        "(?,?,?)",
        {std::int64_t(m.version), std::string(m.what), now_ms()});
    log(LogLevel::kInfo, "rest.store", "applied schema migration",
        {{"version", std::to_string(m.version)}, {"what", m.what}});
  }
}

}  // namespace

int latest_schema_version() { return migrations().back().version; }

void migrate_schema(SqlRunner& sql) {
  // Poco's begin() issues a deferred BEGIN on SQLite; the write lock must be held before
  // the version is read, so SQLite's transaction is spelled out.
  const auto run = [&](const char* sqlite_word, void (Poco::Data::Session::*postgres)()) {
    if (sql.postgres()) {
      (sql.session().*postgres)();
    } else {
      sql.exec(sqlite_word);
    }
  };
  run("BEGIN IMMEDIATE", &Poco::Data::Session::begin);
  try {
    if (sql.postgres()) {
      // Held until commit: instances started together apply the migrations one by one.
      sql.query("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(?)) AS l", {kMigrationLockKey});
      // "relation already exists, skipping" on every start is not worth a log line.
      sql.exec("SET LOCAL client_min_messages TO warning");
    }
    apply_pending(sql);
    run("COMMIT", &Poco::Data::Session::commit);
  } catch (...) {
    try {
      run("ROLLBACK", &Poco::Data::Session::rollback);
    } catch (const std::exception&) {
      // The original error is the one worth reporting.
    }
    throw;
  }
}

}  // namespace cuttle::rest
