#include "bindings/rest/sql_statement.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

namespace cuttle::rest {
namespace {

void bind_all(Poco::Data::Statement& stmt, const std::vector<SqlParam>& params) {
  using Poco::Data::Keywords::bind;
  for (const auto& p : params) {
    if (const auto* i = std::get_if<std::int64_t>(&p)) {
      stmt, bind(static_cast<Poco::Int64>(*i));
    } else {
      stmt, bind(std::get<std::string>(p));
    }
  }
}

}  // namespace

std::string sql_string(const Poco::Dynamic::Var& v) {
  return v.isEmpty() ? std::string() : v.convert<std::string>();
}

std::int64_t sql_int(const Poco::Dynamic::Var& v) {
  return v.isEmpty() ? 0 : v.convert<Poco::Int64>();
}

// PostgreSQL wants $1, $2, ... where SQLite takes ?.
std::string SqlRunner::dialect(const std::string& sql) const {
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

void SqlRunner::exec(const std::string& sql, const std::vector<SqlParam>& params) {
  Poco::Data::Statement stmt(session_);
  stmt << dialect(sql);
  bind_all(stmt, params);
  stmt.execute();
}

std::vector<SqlRow> SqlRunner::query(const std::string& sql, const std::vector<SqlParam>& params) {
  Poco::Data::Statement stmt(session_);
  stmt << dialect(sql);
  bind_all(stmt, params);
  stmt.execute();
  Poco::Data::RecordSet rs(stmt);
  std::vector<SqlRow> rows;
  const std::size_t columns = rs.columnCount();
  for (std::size_t r = 0; r < rs.rowCount(); ++r) {
    SqlRow row;
    for (std::size_t c = 0; c < columns; ++c) row.push_back(rs.value(c, r));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace cuttle::rest
