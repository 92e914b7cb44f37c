// JobStore over Poco::Data: one SQL text for both SQLite and PostgreSQL; the few
// dialect differences (auto-increment keys, placeholders, row locks) are kept here.
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <mutex>
#include <variant>

#include "bindings/rest/job_store.h"
#include "cuttle/error.h"

namespace cuttle::rest {
namespace {

using Param = std::variant<std::int64_t, std::string>;
using Row = std::vector<Poco::Dynamic::Var>;

std::string as_string(const Poco::Dynamic::Var& v) {
  return v.isEmpty() ? std::string() : v.convert<std::string>();
}
std::int64_t as_int(const Poco::Dynamic::Var& v) {
  return v.isEmpty() ? 0 : v.convert<Poco::Int64>();
}

const char* kJobColumns =
    "seq, id, owner, scheduler, backend_id, state, final, request, status, callback_url, "
    "created_ms, updated_ms";

JobRow to_job(const Row& r) {
  JobRow j;
  j.seq = as_int(r[0]);
  j.id = as_string(r[1]);
  j.owner = as_string(r[2]);
  j.scheduler = as_string(r[3]);
  j.backend_id = as_string(r[4]);
  j.state = as_string(r[5]);
  j.final = as_int(r[6]) != 0;
  j.request = as_string(r[7]);
  j.status = as_string(r[8]);
  j.callback_url = as_string(r[9]);
  j.created_ms = as_int(r[10]);
  j.updated_ms = as_int(r[11]);
  return j;
}

class SqlJobStore : public JobStore {
 public:
  explicit SqlJobStore(const StoreConfig& config) : postgres_(config.kind == "postgresql") {
    static std::once_flag registered;
    std::call_once(registered, [] {
      Poco::Data::SQLite::Connector::registerConnector();
      Poco::Data::PostgreSQL::Connector::registerConnector();
    });
    try {
      if (postgres_) {
        session_ = std::make_unique<Poco::Data::Session>("PostgreSQL", config.connection);
      } else {
        Poco::File(Poco::Path(config.path).parent()).createDirectories();
        session_ = std::make_unique<Poco::Data::Session>("SQLite", config.path);
        exec("PRAGMA journal_mode=WAL", {});
        exec("PRAGMA synchronous=NORMAL", {});
        exec("PRAGMA busy_timeout=10000", {});
      }
      create_schema();
    } catch (const Poco::Exception& e) {
      throw InvalidArgument("job store (" + config.kind + "): " + e.displayText());
    }
  }

  void insert_job(const JobRow& j, const EventRow& e) override {
    locked_transaction([&] {
      exec(
          "INSERT INTO cuttle_jobs (id, owner, scheduler, backend_id, state, final, request, "
          "status, callback_url, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
          {j.id, j.owner, j.scheduler, j.backend_id, j.state, std::int64_t(j.final), j.request,
           j.status, j.callback_url, j.created_ms, j.updated_ms});
      insert_event(e);
    });
  }

  void set_backend_id(const std::string& id, const std::string& backend_id) override {
    std::lock_guard lock(mutex_);
    guarded([&] { exec("UPDATE cuttle_jobs SET backend_id=? WHERE id=?", {backend_id, id}); });
  }

  std::optional<std::int64_t> record_change(const JobRow& j, const EventRow& e,
                                            const std::optional<OutboxRow>& callback) override {
    std::optional<std::int64_t> result;
    locked_transaction([&] {
      auto rows = query(std::string("SELECT final FROM cuttle_jobs WHERE id=?") +
                            (postgres_ ? " FOR UPDATE" : ""),
                        {j.id});
      if (rows.empty() || as_int(rows[0][0]) != 0) return;
      exec(
          "UPDATE cuttle_jobs SET state=?, final=?, status=?, backend_id=?, updated_ms=? "
          "WHERE id=?",
          {j.state, std::int64_t(j.final), j.status, j.backend_id, j.updated_ms, j.id});
      insert_event(e);
      result = 0;
      if (callback) {
        const std::string sql =
            "INSERT INTO cuttle_outbox (job_id, url, body, terminal, created_ms, delivered) "
            "VALUES (?,?,?,?,?,0)";
        const std::vector<Param> params = {callback->job_id, callback->url, callback->body,
                                           std::int64_t(callback->terminal), callback->created_ms};
        if (postgres_) {
          result = as_int(query(sql + " RETURNING seq", params).at(0).at(0));
        } else {
          exec(sql, params);
          result = as_int(query("SELECT last_insert_rowid()", {}).at(0).at(0));
        }
      }
    });
    return result;
  }

  std::optional<JobRow> get_job(const std::string& id) override {
    std::lock_guard lock(mutex_);
    std::optional<JobRow> out;
    guarded([&] {
      auto rows =
          query(std::string("SELECT ") + kJobColumns + " FROM cuttle_jobs WHERE id=?", {id});
      if (!rows.empty()) out = to_job(rows[0]);
    });
    return out;
  }

  std::vector<JobRow> active_jobs(const std::string& owner) override {
    std::lock_guard lock(mutex_);
    std::vector<JobRow> out;
    guarded([&] {
      for (const auto& r : query(std::string("SELECT ") + kJobColumns +
                                     " FROM cuttle_jobs WHERE final=0 AND owner=? ORDER BY seq",
                                 {owner})) {
        out.push_back(to_job(r));
      }
    });
    return out;
  }

  std::vector<JobRow> list_jobs(const std::vector<std::string>& states, std::int64_t after_seq,
                                std::size_t limit) override {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM cuttle_jobs WHERE seq > ?";
    std::vector<Param> params = {after_seq};
    if (!states.empty()) {
      sql += " AND state IN (";
      for (std::size_t i = 0; i < states.size(); ++i) {
        sql += i ? ",?" : "?";
        params.emplace_back(states[i]);
      }
      sql += ")";
    }
    sql += " ORDER BY seq LIMIT ?";
    params.emplace_back(static_cast<std::int64_t>(limit));
    std::lock_guard lock(mutex_);
    std::vector<JobRow> out;
    guarded([&] {
      for (const auto& r : query(sql, params)) out.push_back(to_job(r));
    });
    return out;
  }

  std::vector<EventRow> events(const std::string& id, std::int64_t after_seq) override {
    std::lock_guard lock(mutex_);
    std::vector<EventRow> out;
    guarded([&] {
      for (const auto& r : query("SELECT seq, job_id, time_ms, state, status FROM cuttle_events "
                                 "WHERE job_id=? AND seq > ? ORDER BY seq",
                                 {id, after_seq})) {
        out.push_back(
            {as_int(r[0]), as_string(r[1]), as_int(r[2]), as_string(r[3]), as_string(r[4])});
      }
    });
    return out;
  }

  std::vector<OutboxRow> pending_callbacks(const std::string& owner) override {
    std::lock_guard lock(mutex_);
    std::vector<OutboxRow> out;
    guarded([&] {
      for (const auto& r :
           query("SELECT o.seq, o.job_id, o.url, o.body, o.terminal, o.created_ms FROM "
                 "cuttle_outbox o "
                 "JOIN cuttle_jobs j ON j.id = o.job_id WHERE o.delivered=0 AND j.owner=? "
                 "ORDER BY o.seq",
                 {owner})) {
        out.push_back({as_int(r[0]), as_string(r[1]), as_string(r[2]), as_string(r[3]),
                       as_int(r[4]) != 0, as_int(r[5])});
      }
    });
    return out;
  }

  void callback_done(std::int64_t seq) override {
    std::lock_guard lock(mutex_);
    guarded([&] { exec("UPDATE cuttle_outbox SET delivered=1 WHERE seq=?", {seq}); });
  }

  std::vector<JobRow> purge_finished(std::int64_t before_ms) override {
    std::vector<JobRow> rows;
    locked_transaction([&] {
      for (const auto& r : query(std::string("SELECT ") + kJobColumns +
                                     " FROM cuttle_jobs WHERE final=1 AND updated_ms < ?",
                                 {before_ms})) {
        rows.push_back(to_job(r));
      }
      for (const auto& row : rows) {
        exec("DELETE FROM cuttle_events WHERE job_id=?", {row.id});
        exec("DELETE FROM cuttle_outbox WHERE job_id=?", {row.id});
        exec("DELETE FROM cuttle_jobs WHERE id=?", {row.id});
      }
    });
    return rows;
  }

 private:
  void create_schema() {
    const std::string key =
        postgres_ ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
    exec("CREATE TABLE IF NOT EXISTS cuttle_jobs (seq " + key +
             ", id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, scheduler TEXT NOT NULL, "
             "backend_id TEXT NOT NULL, state TEXT NOT NULL, final INTEGER NOT NULL, "
             "request TEXT NOT NULL, status TEXT NOT NULL, callback_url TEXT NOT NULL, "
             "created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)",
         {});
    exec("CREATE TABLE IF NOT EXISTS cuttle_events (seq " + key +
             ", job_id TEXT NOT NULL, time_ms BIGINT NOT NULL, state TEXT NOT NULL, "
             "status TEXT NOT NULL)",
         {});
    exec("CREATE TABLE IF NOT EXISTS cuttle_outbox (seq " + key +
             ", job_id TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL, "
             "terminal INTEGER NOT NULL, created_ms BIGINT NOT NULL, delivered INTEGER NOT NULL)",
         {});
    exec("CREATE INDEX IF NOT EXISTS cuttle_events_job ON cuttle_events (job_id, seq)", {});
    exec("CREATE INDEX IF NOT EXISTS cuttle_jobs_active ON cuttle_jobs (final, owner)", {});
    exec("CREATE INDEX IF NOT EXISTS cuttle_outbox_pending ON cuttle_outbox (delivered, seq)", {});
  }

  void insert_event(const EventRow& e) {
    exec("INSERT INTO cuttle_events (job_id, time_ms, state, status) VALUES (?,?,?,?)",
         {e.job_id, e.time_ms, e.state, e.status});
  }

  // PostgreSQL wants $1, $2, ... where SQLite takes ?.
  std::string dialect(const std::string& sql) const {
    if (!postgres_) return sql;
    std::string out;
    int n = 0;
    for (char c : sql) {
      if (c == '?') {
        out += "$" + std::to_string(++n);
      } else {
        out += c;
      }
    }
    return out;
  }

  void bind_all(Poco::Data::Statement& stmt, const std::vector<Param>& params) {
    using Poco::Data::Keywords::bind;
    for (const auto& p : params) {
      if (const auto* i = std::get_if<std::int64_t>(&p)) {
        stmt, bind(static_cast<Poco::Int64>(*i));
      } else {
        stmt, bind(std::get<std::string>(p));
      }
    }
  }

  void exec(const std::string& sql, const std::vector<Param>& params) {
    Poco::Data::Statement stmt(*session_);
    stmt << dialect(sql);
    bind_all(stmt, params);
    stmt.execute();
  }

  std::vector<Row> query(const std::string& sql, const std::vector<Param>& params) {
    Poco::Data::Statement stmt(*session_);
    stmt << dialect(sql);
    bind_all(stmt, params);
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<Row> rows;
    const std::size_t columns = rs.columnCount();
    for (std::size_t r = 0; r < rs.rowCount(); ++r) {
      Row row;
      for (std::size_t c = 0; c < columns; ++c) row.push_back(rs.value(c, r));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  template <typename F>
  void guarded(F&& body) {
    try {
      body();
    } catch (const Poco::Exception& e) {
      throw InternalError("job store: " + e.displayText());
    }
  }

  template <typename F>
  void locked_transaction(F&& body) {
    std::lock_guard lock(mutex_);
    guarded([&] {
      session_->begin();
      try {
        body();
        session_->commit();
      } catch (...) {
        try {
          session_->rollback();
        } catch (const Poco::Exception&) {
          // The original error is the one worth reporting.
        }
        throw;
      }
    });
  }

  const bool postgres_;
  std::mutex mutex_;
  std::unique_ptr<Poco::Data::Session> session_;
};

}  // namespace

std::unique_ptr<JobStore> open_job_store(const StoreConfig& config) {
  return std::make_unique<SqlJobStore>(config);
}

}  // namespace cuttle::rest
