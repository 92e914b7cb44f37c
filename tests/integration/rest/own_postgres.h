// A throwaway PostgreSQL cluster owned by one test (tests/env/postgres.sh with its own
// directory and port), for tests that kill and restart the database: the shared server
// the other tests use is never touched. Thread-safety: use from the test thread.
#pragma once

#include <cstdlib>
#include <string>

#include "cuttle/command_runner.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {

class OwnPostgres {
 public:
  OwnPostgres() : dir_("own-pg"), port_(free_port()) {}
  ~OwnPostgres() { run("stop"); }
  OwnPostgres(const OwnPostgres&) = delete;
  OwnPostgres& operator=(const OwnPostgres&) = delete;

  // initdb on first use; bounded waits inside the script. Returns false with the log.
  bool start(std::string* log = nullptr) { return run("start", log); }
  // Dies as in a crash (immediate shutdown); start() recovers it on the same port.
  bool kill(std::string* log = nullptr) { return run("kill", log); }

  std::string connection() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) +
           " user=postgres dbname=cuttle connect_timeout=5";
  }

 private:
  bool run(const std::string& verb, std::string* log = nullptr) {
    const char* source = std::getenv("CUTTLE_SOURCE_DIR");
    const std::string script = std::string(source ? source : ".") + "/tests/env/postgres.sh";
    LocalRunner runner;
    const auto r = runner.run({"env", "CUTTLE_PG_STATE=" + dir_.path(),
                               "CUTTLE_PG_PORT=" + std::to_string(port_), "sh", script, verb},
                              {{}, std::chrono::seconds(120)});
    if (log) *log = r.stdout_text + r.stderr_text;
    return r.exit_code == 0;
  }

  TempDir dir_;
  std::uint16_t port_;
};

}  // namespace cuttle::rest::testing
