// Instance leases and fencing tokens in the job store's database (see lease_keeper.h
// for who calls these and when). Times are the database's clock, so instances whose
// clocks disagree still agree on who expired. Each function is one step inside a
// transaction the caller opened (row locks are taken where PostgreSQL needs them).
// Thread-safety: as the SqlRunner's session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bindings/rest/sql_statement.h"

namespace cuttle::rest::leases {

std::int64_t db_now_ms(SqlRunner& sql);

struct Grant {
  std::int64_t token = 0;
  std::int64_t expires_ms = 0;
  bool renewed = false;  // false: a new token was issued (first start, or the lease lapsed)
};

// Renews `instance`'s lease when it still holds `token` and the lease has not expired;
// otherwise issues a new token and moves the jobs still owned by `instance` (unfinished,
// or with callbacks to send) to it; jobs another instance adopted meanwhile are no longer
// its own.
Grant acquire(SqlRunner& sql, const std::string& instance, std::int64_t token, std::int64_t ttl_ms);

// The instances whose lease has expired, other than `instance`.
std::vector<std::string> expired_peers(SqlRunner& sql, const std::string& instance);

// Moves the unfinished jobs of `dead` on `schedulers` to `instance` under `token`, if
// `dead`'s lease is still expired (checked under its row lock). Returns the job ids.
std::vector<std::string> adopt(SqlRunner& sql, const std::string& dead, const std::string& instance,
                               std::int64_t token, const std::vector<std::string>& schedulers);

struct InstanceRow {
  std::string instance;
  std::int64_t token = 0;
  std::int64_t expires_ms = 0;
  std::int64_t renewed_ms = 0;
  std::int64_t started_ms = 0;
  bool expired = false;
};
std::vector<InstanceRow> instances(SqlRunner& sql);

}  // namespace cuttle::rest::leases
