// The references of rest-submit: what a naive service would do with the same rows, the
// same schema and the same durability, without HTTP: one transaction (job row + its first
// journal event) per job, in a loop, on SQLite (WAL, synchronous=FULL: the commit syncs
// the WAL, as the service's group commit does) or on the service's PostgreSQL server.
// Thread-safety: none; one call at a time from the benchmark's thread.
#pragma once

#include <cstddef>
#include <string>

namespace cuttle::bench {

struct BareInserts {
  std::size_t rows = 0;  // jobs inserted (each with its event) before the time ran out
  double rows_per_s = 0;
};

// Copies the schema of cuttle_jobs and cuttle_events from the service's database
// `service_db` into a new database `bare_db`, then inserts up to `rows` jobs shaped like
// the service's first job (same request and status text), each committed on its own,
// for at most `seconds`.
BareInserts bare_sqlite_inserts(const std::string& service_db, const std::string& bare_db,
                                std::size_t rows, double seconds);
// The same on PostgreSQL (libpq `connection`), into tables created LIKE the service's.
BareInserts bare_postgres_inserts(const std::string& connection, std::size_t rows, double seconds);

}  // namespace cuttle::bench
