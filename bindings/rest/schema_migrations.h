// The job store's schema as numbered migrations, applied once each, in order, by
// whichever instance gets there first: under a transaction-scoped PostgreSQL advisory
// lock (so instances started together wait for each other instead of racing in the
// catalog), or inside one `BEGIN IMMEDIATE` transaction on SQLite. The versions applied
// are recorded in `cuttle_schema_migrations`; a database carrying a version newer than
// this build knows is refused, because an older binary would write rows a newer one
// reads wrongly.
// Thread-safety: call from one thread, on a session no one else uses meanwhile.
#pragma once

#include "bindings/rest/sql_statement.h"

namespace cuttle::rest {

// The newest schema version this build writes.
int latest_schema_version();

// Brings the database up to latest_schema_version(). Throws InvalidArgument when the
// database is newer than this build; Poco exceptions for database errors.
void migrate_schema(SqlRunner& sql);

}  // namespace cuttle::rest
