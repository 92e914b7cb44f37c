// JobStore over Poco::Data: one SQL text for both SQLite and PostgreSQL; the few
// dialect differences (auto-increment keys, placeholders, row locks) are kept here.
// Every call borrows a session from the pool; a call whose connection broke is retried
// on a fresh one (writes are idempotent, see record_change), and when none can be had it
// fails with StoreUnavailable. Inserts of new jobs are committed in groups (see
// group_commit.h), durably: SQLite syncs the WAL for each group (synchronous=FULL) while
// the other writes keep synchronous=NORMAL (see docs/architecture.md, "Durability").
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>
#include <libpq-fe.h>

#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>

#include "bindings/rest/group_commit.h"
#include "bindings/rest/held_writes_store.h"
#include "bindings/rest/job_store.h"
#include "bindings/rest/schema_migrations.h"
#include "bindings/rest/session_pool.h"
#include "bindings/rest/sql_leases.h"
#include "bindings/rest/sql_statement.h"
#include "cuttle/error.h"

namespace cuttle::rest {
namespace {

const char* kJobColumns =
    "seq, id, owner, scheduler, backend_id, state, final, request, status, callback_url, "
    "created_ms, updated_ms, contract, name";

// Code points in `text`, or nullopt when it is not valid UTF-8.
std::optional<std::size_t> utf8_length(const std::string& text) {
  Poco::UTF8Encoding utf8;
  std::size_t n = 0;
  for (Poco::TextIterator it(text, utf8), end(text); it != end; ++it) {
    if (*it < 0) return std::nullopt;
    ++n;
  }
  return n;
}

JobRow to_job(const SqlRow& r) {
  JobRow j;
  j.seq = sql_int(r[0]);
  j.id = sql_string(r[1]);
  j.owner = sql_string(r[2]);
  j.scheduler = sql_string(r[3]);
  j.backend_id = sql_string(r[4]);
  j.state = sql_string(r[5]);
  j.final = sql_int(r[6]) != 0;
  j.request = sql_string(r[7]);
  j.status = sql_string(r[8]);
  j.callback_url = sql_string(r[9]);
  j.created_ms = sql_int(r[10]);
  j.updated_ms = sql_int(r[11]);
  j.contract = sql_string(r[12]);
  j.name = sql_string(r[13]);
  return j;
}

// Throws, with libpq's reason, when the server cannot be connected to now. Poco's
// PostgreSQL connector never frees the libpq connection of a failed attempt (~36 KiB each,
// found by LeakSanitizer in RestOutage): while the database is down, the pool's reconnects
// fail here instead, where the attempt is finished properly.
void probe_postgresql(const std::string& connection) {
  if (PQping(connection.c_str()) == PQPING_OK) return;
  PGconn* attempt = PQconnectdb(connection.c_str());
  const bool ok = PQstatus(attempt) == CONNECTION_OK;
  std::string reason = ok ? "" : PQerrorMessage(attempt);
  PQfinish(attempt);
  if (ok) return;  // up again meanwhile
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  throw std::runtime_error("PostgreSQL: " + reason);
}

// A broken session's libpq connection is freed by Poco only when it reads as connected,
// so a session lost to a database outage would leak it: once the server answers again,
// PQreset brings the connection back and destroying the session then frees it.
bool revive_postgresql(Poco::Data::Session& session) {
  auto* impl = dynamic_cast<Poco::Data::PostgreSQL::SessionImpl*>(session.impl());
  return !impl || impl->handle().reset();
}

// A connection failure is retried, on a new connection, at most this often per call.
constexpr int kAttempts = 3;

// Jobs per multi-row INSERT: 12 parameters each stays under every SQLite build's limit
// of bound parameters (999 before 3.32).
constexpr std::size_t kRowsPerStatement = 64;

std::unique_ptr<SessionPool> make_pool(const StoreConfig& config) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
  if (config.kind == "postgresql") {
    // A transaction left idle this long means its instance stalled (paused, partitioned):
    // PostgreSQL ends the session so its row locks cannot block a takeover. Ours last
    // milliseconds; a killed one is retried on a new connection.
    SessionPool::Hooks hooks;
    hooks.on_open = [](Poco::Data::Session& s) {
      SqlRunner(s, true).exec("SET idle_in_transaction_session_timeout = 5000");
    };
    hooks.probe = [connection = config.connection] { probe_postgresql(connection); };
    hooks.revive = revive_postgresql;
    return std::make_unique<SessionPool>("PostgreSQL", config.connection, config.pool_size,
                                         std::move(hooks));
  }
  Poco::File(Poco::Path(config.path).parent()).createDirectories();
  // One SQLite connection: the file has one writer anyway, and it cannot go away.
  SessionPool::Hooks hooks;
  hooks.on_open = [](Poco::Data::Session& s) {
    SqlRunner sql(s, false);
    sql.exec("PRAGMA journal_mode=WAL");
    sql.exec("PRAGMA synchronous=NORMAL");
    sql.exec("PRAGMA busy_timeout=10000");
  };
  return std::make_unique<SessionPool>("SQLite", config.path, 1, std::move(hooks));
}

class SqlJobStore : public JobStore {
 public:
  explicit SqlJobStore(const StoreConfig& config)
      : postgres_(config.kind == "postgresql"),
        pool_(make_pool(config)),
        inserts_([this](const std::vector<const NewJob*>& group) { insert_group(group); },
                 [this](const NewJob& one) { insert_group({&one}); }) {
    try {
      run(false, [](SqlRunner& sql) { migrate_schema(sql); });
    } catch (const StoreUnavailable& e) {
      throw InvalidArgument("job store (" + config.kind + "): " + e.what());
    } catch (const InternalError& e) {
      throw InvalidArgument("job store (" + config.kind + "): " + e.what());
    }
  }

  void insert_job(const JobRow& j, const EventRow& e) override { inserts_.write({&j, &e, {}}); }

  void insert_job_async(JobRow j, EventRow e, Inserted done) override {
    auto owned = std::make_shared<std::pair<JobRow, EventRow>>(std::move(j), std::move(e));
    NewJob item{&owned->first, &owned->second, owned};
    inserts_.write_async(std::move(item), std::move(done));
  }

  void set_backend_id(const std::string& id, const std::string& backend_id) override {
    std::shared_lock fence(fence_mutex_);
    run(true, [&](SqlRunner& sql) {
      auto rows = sql.query("SELECT owner, owner_token FROM cuttle_jobs WHERE id=?" +
                                std::string(postgres_ ? " FOR UPDATE" : ""),
                            {id});
      if (rows.empty()) return;
      check_fence(id, rows[0][0], rows[0][1]);
      sql.exec("UPDATE cuttle_jobs SET backend_id=? WHERE id=?", {backend_id, id});
    });
  }

  std::optional<std::int64_t> record_change(const JobRow& j, const EventRow& e,
                                            const std::optional<OutboxRow>& callback) override {
    std::shared_lock fence(fence_mutex_);
    return run(true, [&](SqlRunner& sql) -> std::optional<std::int64_t> {
      auto rows = sql.query(std::string("SELECT final, state, updated_ms, owner, owner_token "
                                        "FROM cuttle_jobs WHERE id=?") +
                                (postgres_ ? " FOR UPDATE" : ""),
                            {j.id});
      if (rows.empty()) return std::nullopt;
      check_fence(j.id, rows[0][3], rows[0][4]);
      if (sql_string(rows[0][1]) == j.state && sql_int(rows[0][2]) == j.updated_ms) {
        return already_recorded(sql, j, callback);
      }
      if (sql_int(rows[0][0]) != 0) return std::nullopt;
      sql.exec(
          "UPDATE cuttle_jobs SET state=?, final=?, status=?, backend_id=?, updated_ms=? "
          "WHERE id=?",
          {j.state, std::int64_t(j.final), j.status, j.backend_id, j.updated_ms, j.id});
      insert_event(sql, e);
      if (!callback) return 0;
      const std::string insert =
          "INSERT INTO cuttle_outbox (job_id, url, body, terminal, created_ms, delivered) "
          "VALUES (?,?,?,?,?,0)";
      const std::vector<SqlParam> params = {callback->job_id, callback->url, callback->body,
                                            std::int64_t(callback->terminal), callback->created_ms};
      if (postgres_) return sql_int(sql.query(insert + " RETURNING seq", params).at(0).at(0));
      sql.exec(insert, params);
      return sql_int(sql.query("SELECT last_insert_rowid()").at(0).at(0));
    });
  }

  std::optional<JobRow> get_job(const std::string& id) override {
    return run(false, [&](SqlRunner& sql) -> std::optional<JobRow> {
      auto rows =
          sql.query(std::string("SELECT ") + kJobColumns + " FROM cuttle_jobs WHERE id=?", {id});
      if (rows.empty()) return std::nullopt;
      return to_job(rows[0]);
    });
  }

  std::vector<JobRow> active_jobs(const std::string& owner) override {
    return jobs(std::string("SELECT ") + kJobColumns +
                    " FROM cuttle_jobs WHERE final=0 AND owner=? ORDER BY seq",
                {owner});
  }

  std::vector<JobRow> list_jobs(const JobListFilter& filter, std::int64_t after_seq,
                                std::size_t limit) override {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM cuttle_jobs WHERE seq > ?";
    std::vector<SqlParam> params = {after_seq};
    if (filter.contract) {
      sql += " AND contract = ?";
      params.emplace_back(*filter.contract);
    }
    if (!filter.name_prefix.empty()) {
      // Names are valid UTF-8 (they came through a JSON parser): a prefix that is not
      // matches none. substr counts characters in both databases; no LIKE, whose % and _
      // a prefix may contain.
      const auto characters = utf8_length(filter.name_prefix);
      if (!characters) return {};
      sql += " AND substr(name, 1, CAST(? AS INTEGER)) = ?";
      params.emplace_back(static_cast<std::int64_t>(*characters));
      params.emplace_back(filter.name_prefix);
    }
    if (!filter.states.empty()) {
      sql += " AND state IN (" + placeholders(1, filter.states.size()) + ")";
      for (const auto& state : filter.states) params.emplace_back(state);
    }
    sql += " ORDER BY seq LIMIT ?";
    params.emplace_back(static_cast<std::int64_t>(limit));
    return jobs(sql, params);
  }

  std::vector<EventRow> events(const std::string& id, std::int64_t after_seq) override {
    return run(false, [&](SqlRunner& sql) {
      std::vector<EventRow> out;
      for (const auto& r : sql.query("SELECT seq, job_id, time_ms, state, status FROM "
                                     "cuttle_events WHERE job_id=? AND seq > ? ORDER BY seq",
                                     {id, after_seq})) {
        out.push_back(
            {sql_int(r[0]), sql_string(r[1]), sql_int(r[2]), sql_string(r[3]), sql_string(r[4])});
      }
      return out;
    });
  }

  std::vector<OutboxRow> pending_callbacks(const std::string& owner) override {
    return run(false, [&](SqlRunner& sql) {
      std::vector<OutboxRow> out;
      for (const auto& r :
           sql.query("SELECT o.seq, o.job_id, o.url, o.body, o.terminal, o.created_ms FROM "
                     "cuttle_outbox o JOIN cuttle_jobs j ON j.id = o.job_id "
                     "WHERE o.delivered=0 AND j.owner=? ORDER BY o.seq",
                     {owner})) {
        out.push_back({sql_int(r[0]), sql_string(r[1]), sql_string(r[2]), sql_string(r[3]),
                       sql_int(r[4]) != 0, sql_int(r[5])});
      }
      return out;
    });
  }

  void callback_done(std::int64_t seq) override {
    run(false, [&](SqlRunner& sql) {
      sql.exec("UPDATE cuttle_outbox SET delivered=1 WHERE seq=?", {seq});
    });
  }

  std::vector<JobRow> purge_finished(std::int64_t before_ms) override {
    return run(true, [&](SqlRunner& sql) {
      std::vector<JobRow> rows;
      for (const auto& r : sql.query(std::string("SELECT ") + kJobColumns +
                                         " FROM cuttle_jobs WHERE final=1 AND updated_ms < ?",
                                     {before_ms})) {
        rows.push_back(to_job(r));
      }
      for (const auto& row : rows) {
        sql.exec("DELETE FROM cuttle_events WHERE job_id=?", {row.id});
        sql.exec("DELETE FROM cuttle_outbox WHERE job_id=?", {row.id});
        sql.exec("DELETE FROM cuttle_jobs WHERE id=?", {row.id});
      }
      return rows;
    });
  }

  bool may_deliver(std::int64_t seq) override {
    std::shared_lock fence(fence_mutex_);
    return run(false, [&](SqlRunner& sql) {
      auto rows = sql.query(
          "SELECT o.delivered, j.owner, j.owner_token, j.id FROM cuttle_outbox o "
          "JOIN cuttle_jobs j ON j.id = o.job_id WHERE o.seq=?",
          {seq});
      if (rows.empty() || sql_int(rows[0][0]) != 0) return false;
      check_fence(sql_string(rows[0][3]), rows[0][1], rows[0][2]);
      return true;
    });
  }

  LeaseGrant acquire_lease(const std::string& instance, std::int64_t token,
                           std::chrono::milliseconds ttl) override {
    // Exclusive: no write may check against the old token once the new one is issued.
    std::unique_lock fence(fence_mutex_);
    const auto grant = run(
        true, [&](SqlRunner& sql) { return leases::acquire(sql, instance, token, ttl.count()); });
    fence_ = {instance, grant.token};
    return {grant.token, grant.expires_ms, grant.renewed};
  }

  std::vector<std::string> adopt_expired(const std::string& instance,
                                         const std::vector<std::string>& schedulers) override {
    std::shared_lock fence(fence_mutex_);
    if (fence_.token == 0 || fence_.instance != instance) return {};
    std::vector<std::string> adopted;
    for (const auto& dead :
         run(false, [&](SqlRunner& sql) { return leases::expired_peers(sql, instance); })) {
      auto ids = run(true, [&](SqlRunner& sql) {
        return leases::adopt(sql, dead, instance, fence_.token, schedulers);
      });
      adopted.insert(adopted.end(), ids.begin(), ids.end());
    }
    return adopted;
  }

  std::vector<InstanceLease> instances() override {
    return run(false, [](SqlRunner& sql) {
      std::vector<InstanceLease> out;
      for (const auto& r : leases::instances(sql)) {
        out.push_back({r.instance, r.expires_ms, r.renewed_ms, r.started_ms, r.expired});
      }
      return out;
    });
  }

  StoreHealth health() override {
    try {
      run(false, [](SqlRunner& sql) { sql.query("SELECT 1"); });
      return {};
    } catch (const StoreUnavailable& e) {
      return {false, e.what(), 0};
    } catch (const Error& e) {
      return {false, e.what(), 0};
    }
  }

 private:
  // The change was committed by an earlier attempt whose answer was lost: report what
  // that attempt would have, so its callback is queued once, not recorded twice.
  std::optional<std::int64_t> already_recorded(SqlRunner& sql, const JobRow& j,
                                               const std::optional<OutboxRow>& callback) {
    if (!callback) return 0;
    auto rows = sql.query(
        "SELECT seq FROM cuttle_outbox WHERE job_id=? AND created_ms=? ORDER BY seq DESC LIMIT 1",
        {j.id, callback->created_ms});
    return rows.empty() ? 0 : sql_int(rows[0][0]);
  }

  std::vector<JobRow> jobs(const std::string& text, const std::vector<SqlParam>& params) {
    return run(false, [&](SqlRunner& sql) {
      std::vector<JobRow> out;
      for (const auto& r : sql.query(text, params)) out.push_back(to_job(r));
      return out;
    });
  }

  struct NewJob {
    const JobRow* job;
    const EventRow* event;
    std::shared_ptr<const void> owner;  // what job and event point into (insert_job_async)
  };

  // On the group commit's thread. The fence is held until the group is committed: its
  // rows carry this token.
  void insert_group(const std::vector<const NewJob*>& group) {
    std::shared_lock fence(fence_mutex_);
    run(
        true,
        [&](SqlRunner& sql) {
          for (std::size_t i = 0; i < group.size(); i += kRowsPerStatement) {
            const std::size_t end = std::min(group.size(), i + kRowsPerStatement);
            insert_rows(sql, {group.begin() + static_cast<long>(i),
                              group.begin() + static_cast<long>(end)});
          }
        },
        Sync::kDurable);
  }

  // Three statements for up to kRowsPerStatement jobs, whatever their number: on
  // PostgreSQL each statement is a round trip the group's leader waits for.
  void insert_rows(SqlRunner& sql, const std::vector<const NewJob*>& rows) {
    // A retry after a commit whose answer was lost finds its own rows.
    std::vector<SqlParam> ids;
    ids.reserve(rows.size());
    for (const NewJob* n : rows) ids.emplace_back(n->job->id);
    std::set<std::string> stored;
    for (const auto& r :
         sql.query("SELECT id FROM cuttle_jobs WHERE id IN (" + placeholders(1, rows.size()) + ")",
                   ids)) {
      stored.insert(sql_string(r[0]));
    }
    std::vector<SqlParam> jobs;
    std::vector<SqlParam> events;
    std::size_t count = 0;
    for (const NewJob* n : rows) {
      const JobRow& j = *n->job;
      if (!stored.insert(j.id).second) continue;
      jobs.insert(jobs.end(), {j.id, j.owner, j.scheduler, j.backend_id, j.state,
                               std::int64_t(j.final), j.request, j.status, j.callback_url,
                               j.created_ms, j.updated_ms, fence_.token, j.contract, j.name});
      const EventRow& e = *n->event;
      events.insert(events.end(), {e.job_id, e.time_ms, e.state, e.status});
      ++count;
    }
    if (count == 0) return;
    sql.exec(
        "INSERT INTO cuttle_jobs (id, owner, scheduler, backend_id, state, final, request, "
        "status, callback_url, created_ms, updated_ms, owner_token, contract, name) VALUES " +
            placeholders(14, count),
        jobs);
    sql.exec("INSERT INTO cuttle_events (job_id, time_ms, state, status) VALUES " +
                 placeholders(4, count),
             events);
  }

  // "(?,?),(?,?)" for rows=2, columns=2; one row of one column: "?".
  static std::string placeholders(std::size_t columns, std::size_t rows) {
    std::string row = columns == 1 ? "?" : "(?";
    for (std::size_t c = 1; c < columns; ++c) row += ",?";
    if (columns > 1) row += ")";
    std::string out = row;
    for (std::size_t r = 1; r < rows; ++r) out += "," + row;
    return out;
  }

  // REQUIRES: fence_mutex_ held; the job's row locked by the caller's transaction.
  // Without a lease (the store used alone, as in its own tests) nothing is fenced.
  void check_fence(const std::string& id, const Poco::Dynamic::Var& owner,
                   const Poco::Dynamic::Var& token) const {
    if (fence_.token == 0) return;
    if (sql_string(owner) != fence_.instance || sql_int(token) != fence_.token) {
      throw Fenced(id, sql_string(owner));
    }
  }

  static void insert_event(SqlRunner& sql, const EventRow& e) {
    sql.exec("INSERT INTO cuttle_events (job_id, time_ms, state, status) VALUES (?,?,?,?)",
             {e.job_id, e.time_ms, e.state, e.status});
  }

  // kDurable: the commit survives a power loss (SQLite syncs its WAL for this commit
  // alone; PostgreSQL commits are as durable as the server's synchronous_commit).
  // kDefault: SQLite's synchronous=NORMAL, which survives a crash of the process.
  enum class Sync { kDefault, kDurable };

  // Runs `body` on a pooled session (inside a transaction when asked). A broken
  // connection is discarded and the call retried on a new one; any other database error
  // is an InternalError.
  template <typename F>
  auto run(bool transaction, F&& body, Sync sync = Sync::kDefault)
      -> decltype(body(std::declval<SqlRunner&>())) {
    const bool sqlite_sync = sync == Sync::kDurable && !postgres_;
    std::string last_error;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      SessionPool::Lease lease = pool_->acquire();
      Poco::Data::Session& session = lease.session();
      try {
        SqlRunner sql(session, postgres_);
        SyncScope scope(sql, sqlite_sync);
        if (transaction) session.begin();
        if constexpr (std::is_void_v<decltype(body(sql))>) {
          body(sql);
          if (transaction) session.commit();
          return;
        } else {
          auto result = body(sql);
          if (transaction) session.commit();
          return result;
        }
      } catch (const Poco::Exception& e) {
        last_error = e.displayText();
        if (transaction) rollback_quietly(session);
        if (session.isConnected()) throw InternalError("job store: " + last_error);
        lease.discard();
        pool_->report_failure(last_error);
      } catch (...) {
        if (transaction) rollback_quietly(session);
        throw;
      }
    }
    throw StoreUnavailable(last_error, std::chrono::seconds(1));
  }

  // SQLite's synchronous=FULL for the commits made while it lives, NORMAL again after.
  class SyncScope {
   public:
    SyncScope(SqlRunner& sql, bool on) : sql_(on ? &sql : nullptr) {
      if (sql_) sql_->exec("PRAGMA synchronous=FULL");
    }
    ~SyncScope() {
      try {
        if (sql_) sql_->exec("PRAGMA synchronous=NORMAL");
      } catch (const Poco::Exception&) {
        // Only later commits sync more than they need to; the connection's next error
        // (if it broke) is reported by the call that meets it.
      }
    }
    SyncScope(const SyncScope&) = delete;
    SyncScope& operator=(const SyncScope&) = delete;

   private:
    SqlRunner* sql_;
  };

  static void rollback_quietly(Poco::Data::Session& session) {
    try {
      if (session.isTransaction()) session.rollback();
    } catch (const Poco::Exception&) {
      // The original error is the one worth reporting.
    }
  }

  struct Fence {
    std::string instance;
    std::int64_t token = 0;  // 0: no lease taken
  };

  const bool postgres_;
  std::unique_ptr<SessionPool> pool_;
  std::shared_mutex fence_mutex_;  // writes share it; a new token takes it alone
  Fence fence_;
  GroupCommit<NewJob> inserts_;
};

}  // namespace

std::unique_ptr<JobStore> open_job_store(const StoreConfig& config) {
  return std::make_unique<HeldWritesStore>(std::make_unique<SqlJobStore>(config),
                                           config.max_held_changes);
}

}  // namespace cuttle::rest
