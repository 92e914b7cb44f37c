// An empty PostgreSQL database of a test's own on the shared server
// (CUTTLE_PG_CONNECTION), dropped afterwards: for tests that need a store no other test
// writes to (migrations from scratch, leases whose expiry must not meet other tests'
// instances). Thread-safety: use from the test thread.
#pragma once

#include <Poco/UUIDGenerator.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "bindings/rest/job_store.h"
#include "bindings/rest/sql_statement.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {

inline std::string random_name(const std::string& prefix) {
  std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  return prefix + id;
}

// CREATE DATABASE on construction, DROP ... WITH (FORCE) on destruction.
class ScratchDatabase {
 public:
  ScratchDatabase() : name_(random_name("cuttle_test_")) {
    open_job_store({"sqlite", dir_.path() + "/register.db", ""});  // registers the connectors
    Poco::Data::Session admin("PostgreSQL", std::getenv("CUTTLE_PG_CONNECTION"));
    SqlRunner(admin, true).exec("CREATE DATABASE " + name_);
  }
  ~ScratchDatabase() {
    try {
      Poco::Data::Session admin("PostgreSQL", std::getenv("CUTTLE_PG_CONNECTION"));
      SqlRunner(admin, true).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop " << name_ << ": " << e.what();
    }
  }
  std::string connection() const {
    return std::string(std::getenv("CUTTLE_PG_CONNECTION")) + " dbname=" + name_;
  }

 private:
  TempDir dir_{"scratch-db"};
  std::string name_;
};

}  // namespace cuttle::rest::testing
