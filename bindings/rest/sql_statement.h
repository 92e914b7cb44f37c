// Runs one SQL statement with bound parameters on a Poco::Data session, in the one SQL
// text the store writes for both SQLite and PostgreSQL (`?` placeholders, rewritten to
// `$1, $2, ...` for PostgreSQL). Shared by the job store and its schema migrations.
// Thread-safety: as the session's (one thread per session at a time).
#pragma once

#include <Poco/Data/Session.h>
#include <Poco/Dynamic/Var.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace cuttle::rest {

using SqlParam = std::variant<std::int64_t, std::string>;
using SqlRow = std::vector<Poco::Dynamic::Var>;

std::string sql_string(const Poco::Dynamic::Var& v);
std::int64_t sql_int(const Poco::Dynamic::Var& v);

class SqlRunner {
 public:
  SqlRunner(Poco::Data::Session& session, bool postgres) : session_(session), postgres_(postgres) {}
  void exec(const std::string& sql, const std::vector<SqlParam>& params = {});
  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlParam>& params = {});
  bool postgres() const { return postgres_; }
  Poco::Data::Session& session() { return session_; }

 private:
  std::string dialect(const std::string& sql) const;

  Poco::Data::Session& session_;
  const bool postgres_;
};

}  // namespace cuttle::rest
