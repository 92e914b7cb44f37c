// The REST benchmarks' shared harness: the real service binary (or its test stand-in)
// started as a child process on a free loopback port with a scratch SQLite store, curl
// for single requests, and scratch directories. Stopped (SIGTERM, then SIGKILL) when the
// objects go out of scope.
// Thread-safety: none; each benchmark uses these from its one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/unit/free_port.h"

namespace cuttle::bench {

using ::cuttle::testing::free_port;
// A fresh directory /tmp/cuttle-bench-TAG-XXXXXX.
std::filesystem::path scratch(const std::string& tag);
// curl -s --max-time 10 ARGS...; its stdout.
std::string curl(const std::vector<std::string>& args);
// Waits (bounded, 15 s) until `url` answers 200; throws otherwise.
void wait_http(const std::string& url);
// wrk -t 2 -c CONNECTIONS -d DURATION EXTRA... URL: its Requests/sec; throws when wrk
// failed or saw an answer other than 2xx.
double wrk_requests_per_second(const std::vector<std::string>& extra, const std::string& url,
                               int connections, const std::string& duration = "5s");
// The service's argv: `cuttle serve` from this build, or the test stand-in.
std::vector<std::string> service_command();

// A child process stopped (SIGTERM, then SIGKILL) when this goes out of scope.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::string& log);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  // Ends the process at once (a crash, as far as it can tell); the destructor then does
  // nothing.
  void kill9();

 private:
  pid_t pid_ = -1;
};

// One service: local detached scheduler, SQLite store and jobdir under `dir`, no tokens.
// `extra` is merged into its config (e.g. http_threads).
struct Service {
  explicit Service(const std::filesystem::path& d, const nlohmann::json& extra = {});
  std::string url(const std::string& path) const;

  std::filesystem::path dir;
  std::uint16_t port = free_port();
  std::unique_ptr<Child> child;
};

}  // namespace cuttle::bench
