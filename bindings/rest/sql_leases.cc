#include "bindings/rest/sql_leases.h"

namespace cuttle::rest::leases {

std::int64_t db_now_ms(SqlRunner& sql) {
  return sql_int(
      sql.query(sql.postgres()
                    ? "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
                    : "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)")
          .at(0)
          .at(0));
}

namespace {

std::string for_update(const SqlRunner& sql) { return sql.postgres() ? " FOR UPDATE" : ""; }

// An instance paused mid-transaction holds its row locks until PostgreSQL ends its idle
// session: adoption skips what is locked and takes it on a later round.
std::string skip_locked(const SqlRunner& sql) {
  return sql.postgres() ? " FOR UPDATE SKIP LOCKED" : "";
}

std::int64_t next_token(SqlRunner& sql) {
  // The UPDATE takes the row lock: two instances never get the same token.
  sql.exec("UPDATE cuttle_fencing SET last = last + 1");
  return sql_int(sql.query("SELECT last FROM cuttle_fencing").at(0).at(0));
}

}  // namespace

Grant acquire(SqlRunner& sql, const std::string& instance, std::int64_t token,
              std::int64_t ttl_ms) {
  const auto rows =
      sql.query("SELECT token, expires_ms FROM cuttle_instances WHERE instance=?" + for_update(sql),
                {instance});
  const std::int64_t now = db_now_ms(sql);
  Grant grant;
  grant.expires_ms = now + ttl_ms;
  if (!rows.empty() && token != 0 && sql_int(rows[0][0]) == token && sql_int(rows[0][1]) > now) {
    sql.exec("UPDATE cuttle_instances SET expires_ms=?, renewed_ms=? WHERE instance=?",
             {grant.expires_ms, now, instance});
    grant.token = token;
    grant.renewed = true;
    return grant;
  }
  grant.token = next_token(sql);
  if (rows.empty()) {
    sql.exec(
        "INSERT INTO cuttle_instances (instance, token, expires_ms, renewed_ms, started_ms, "
        "down_since_ms) VALUES (?,?,?,?,?,0)",
        {instance, grant.token, grant.expires_ms, now, now});
  } else {
    sql.exec(
        "UPDATE cuttle_instances SET token=?, expires_ms=?, renewed_ms=?, started_ms=?, "
        "down_since_ms=0 WHERE instance=?",
        {grant.token, grant.expires_ms, now, now, instance});
  }
  // Unfinished jobs, and finished ones whose callbacks are still to be sent.
  sql.exec(
      "UPDATE cuttle_jobs SET owner_token=? WHERE owner=? AND (final=0 OR id IN (SELECT "
      "job_id FROM cuttle_outbox WHERE delivered=0))",
      {grant.token, instance});
  return grant;
}

std::vector<std::string> expired_peers(SqlRunner& sql, const std::string& instance) {
  const std::int64_t now = db_now_ms(sql);
  std::vector<std::string> out;
  for (const auto& r :
       sql.query("SELECT c.instance FROM cuttle_instances c WHERE c.instance<>? AND "
                 "c.expires_ms<? AND EXISTS (SELECT 1 FROM cuttle_jobs j WHERE "
                 "j.owner=c.instance AND j.final=0)",
                 {instance, now})) {
    out.push_back(sql_string(r[0]));
  }
  return out;
}

std::vector<std::string> adopt(SqlRunner& sql, const std::string& dead, const std::string& instance,
                               std::int64_t token, const std::vector<std::string>& schedulers) {
  std::vector<std::string> ids;
  if (schedulers.empty()) return ids;
  const auto rows = sql.query(
      "SELECT expires_ms, down_since_ms FROM cuttle_instances WHERE instance=?" + skip_locked(sql),
      {dead});
  if (rows.empty() || sql_int(rows[0][0]) >= db_now_ms(sql)) return ids;  // came back
  if (sql_int(rows[0][1]) == 0) {
    sql.exec("UPDATE cuttle_instances SET down_since_ms=expires_ms WHERE instance=?", {dead});
  }
  std::string in = " AND scheduler IN (";
  std::vector<SqlParam> params = {dead};
  for (std::size_t i = 0; i < schedulers.size(); ++i) {
    in += i ? ",?" : "?";
    params.emplace_back(schedulers[i]);
  }
  in += ")";
  for (const auto& r :
       sql.query("SELECT id FROM cuttle_jobs WHERE owner=? AND final=0" + in + skip_locked(sql),
                 params)) {
    ids.push_back(sql_string(r[0]));
  }
  for (const auto& id : ids) {
    sql.exec("UPDATE cuttle_jobs SET owner=?, owner_token=? WHERE id=?", {instance, token, id});
  }
  return ids;
}

std::vector<InstanceRow> instances(SqlRunner& sql) {
  const std::int64_t now = db_now_ms(sql);
  std::vector<InstanceRow> out;
  for (const auto& r : sql.query("SELECT instance, token, expires_ms, renewed_ms, started_ms "
                                 "FROM cuttle_instances ORDER BY instance")) {
    InstanceRow row{sql_string(r[0]), sql_int(r[1]), sql_int(r[2]),
                    sql_int(r[3]),    sql_int(r[4]), false};
    row.expired = row.expires_ms < now;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace cuttle::rest::leases
