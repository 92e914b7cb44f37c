#include "bench/bare_insert.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "bench/scenario.h"

namespace cuttle::bench {
namespace {

// A job id of the service's length (a UUID), different for every row.
std::string row_id(std::size_t i) {
  std::string id = "00000000-0000-4000-8000-000000000000";
  const std::string n = std::to_string(i);
  id.replace(id.size() - n.size(), n.size(), n);
  return id;
}

struct SampleJob {
  std::string request;
  std::string status;
};

class Sqlite {
 public:
  explicit Sqlite(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) fail("open " + path);
  }
  ~Sqlite() { sqlite3_close(db_); }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;
  void exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) fail(sql);
    return stmt;
  }
  void step(sqlite3_stmt* stmt) {
    if (sqlite3_step(stmt) != SQLITE_DONE) fail("step");
    sqlite3_reset(stmt);
  }
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("sqlite: " + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_ = nullptr;
};

void bind_text(sqlite3_stmt* stmt, int i, const std::string& s) {
  sqlite3_bind_text(stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}

}  // namespace

BareInserts bare_sqlite_inserts(const std::string& service_db, const std::string& bare_db,
                                std::size_t rows, double seconds) {
  SampleJob sample;
  std::vector<std::string> schema;
  {
    Sqlite from(service_db);
    sqlite3_stmt* q = from.prepare(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('cuttle_jobs','cuttle_events') "
        "AND sql IS NOT NULL");
    while (sqlite3_step(q) == SQLITE_ROW) {
      schema.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
    }
    sqlite3_finalize(q);
    q = from.prepare("SELECT request, status FROM cuttle_jobs ORDER BY seq LIMIT 1");
    if (sqlite3_step(q) != SQLITE_ROW) from.fail("no job in " + service_db);
    sample = {reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
              reinterpret_cast<const char*>(sqlite3_column_text(q, 1))};
    sqlite3_finalize(q);
  }
  Sqlite db(bare_db);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=FULL");
  for (const auto& s : schema) db.exec(s);
  sqlite3_stmt* job = db.prepare(
      "INSERT INTO cuttle_jobs (id, owner, scheduler, backend_id, state, final, request, "
      "status, callback_url, created_ms, updated_ms) VALUES (?,'bench','local','','NEW',0,?,?,"
      "'',1,1)");
  sqlite3_stmt* event =
      db.prepare("INSERT INTO cuttle_events (job_id, time_ms, state, status) VALUES (?,1,'NEW',?)");
  bind_text(job, 2, sample.request);
  bind_text(job, 3, sample.status);
  bind_text(event, 2, sample.status);
  BareInserts out;
  const double start = now_seconds();
  for (; out.rows < rows && now_seconds() - start < seconds; ++out.rows) {
    const std::string id = row_id(out.rows);
    bind_text(job, 1, id);
    bind_text(event, 1, id);
    db.exec("BEGIN");
    db.step(job);
    db.step(event);
    db.exec("COMMIT");
  }
  out.rows_per_s = static_cast<double>(out.rows) / (now_seconds() - start);
  sqlite3_finalize(job);
  sqlite3_finalize(event);
  return out;
}

namespace {

using PgConn = std::unique_ptr<PGconn, decltype(&PQfinish)>;

std::vector<std::string> pg(PGconn* c, const std::string& sql,
                            const std::vector<const char*>& params = {}) {
  std::unique_ptr<PGresult, decltype(&PQclear)> r(
      PQexecParams(c, sql.c_str(), static_cast<int>(params.size()), nullptr, params.data(), nullptr,
                   nullptr, 0),
      &PQclear);
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("postgresql: " + sql + ": " + PQerrorMessage(c));
  }
  std::vector<std::string> row;
  if (PQntuples(r.get()) > 0) {
    for (int i = 0; i < PQnfields(r.get()); ++i) row.emplace_back(PQgetvalue(r.get(), 0, i));
  }
  return row;
}

}  // namespace

BareInserts bare_postgres_inserts(const std::string& connection, std::size_t rows, double seconds) {
  PgConn c(PQconnectdb(connection.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw std::runtime_error("postgresql: " + std::string(PQerrorMessage(c.get())));
  }
  const auto sample = pg(c.get(), "SELECT request, status FROM cuttle_jobs ORDER BY seq LIMIT 1");
  if (sample.size() != 2) throw std::runtime_error("postgresql: no job to copy");
  pg(c.get(), "CREATE TABLE bare_jobs (LIKE cuttle_jobs INCLUDING ALL)");
  pg(c.get(), "CREATE TABLE bare_events (LIKE cuttle_events INCLUDING ALL)");
  BareInserts out;
  const double start = now_seconds();
  for (; out.rows < rows && now_seconds() - start < seconds; ++out.rows) {
    const std::string id = row_id(out.rows);
    pg(c.get(), "BEGIN");
    pg(c.get(),
       "INSERT INTO bare_jobs (id, owner, scheduler, backend_id, state, final, request, status, "
       "callback_url, created_ms, updated_ms) VALUES ($1,'bench','local','','NEW',0,$2,$3,'',1,1)",
       {id.c_str(), sample[0].c_str(), sample[1].c_str()});
    pg(c.get(), "INSERT INTO bare_events (job_id, time_ms, state, status) VALUES ($1,1,'NEW',$2)",
       {id.c_str(), sample[1].c_str()});
    pg(c.get(), "COMMIT");
  }
  out.rows_per_s = static_cast<double>(out.rows) / (now_seconds() - start);
  return out;
}

}  // namespace cuttle::bench
