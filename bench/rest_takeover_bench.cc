// rest-takeover: how long a dead instance's jobs go unwatched. Per trial, on a fresh
// PostgreSQL database (the shared server of tests/env/postgres.sh) and the real Slurm of
// tests/env/slurm.sh: instances A and B start, A accepts 5 short Slurm jobs, and once
// they run A is killed with SIGKILL. The figure is the time from that kill to B's first
// state write (journal event) for A's jobs. Goal: <= lease + 5 s. Reference: the lease
// itself, the least any takeover can take. Args: [trials=10] [lease_s=10].
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "bench/rest_service.h"
#include "bench/scenario.h"
#include "cuttle/command_runner.h"

namespace cuttle::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string psql(const std::string& connection, const std::string& sql) {
  LocalRunner runner;
  const auto r = runner.run({"psql", connection, "-v", "ON_ERROR_STOP=1", "-tAc", sql},
                            {{}, std::chrono::milliseconds(30000)});
  if (r.exit_code != 0) throw std::runtime_error("psql: " + sql + ": " + r.stderr_text);
  return r.stdout_text.substr(0, r.stdout_text.find_last_not_of("\n") + 1);
}

struct Instance {
  std::uint16_t port = free_port();
  std::unique_ptr<Child> child;

  Instance(const fs::path& dir, const std::string& name, const std::string& connection,
           int lease_s) {
    const json config = {
        {"listen", "127.0.0.1:" + std::to_string(port)},
        {"auth", {{"disable_tokens", true}}},
        {"instance", name},
        {"store", {{"kind", "postgresql"}, {"connection", connection}}},
        {"lease", {{"ttl", std::to_string(lease_s) + "s"}, {"check_interval", "500ms"}}},
        {"poll_interval", "1s"},
        {"sandbox_root", (dir / "sandboxes").string()},
        {"jobdir_roots", {(dir / "jobs").string()}},
        {"schedulers", {{"slurm", {{"location", "slurm://"}}}}}};
    std::ofstream(dir / (name + ".json")) << config.dump(2);
    auto argv = service_command();
    argv.push_back("--config");
    argv.push_back((dir / (name + ".json")).string());
    child = std::make_unique<Child>(argv, (dir / (name + ".log")).string());
    wait_http(url("/health"));
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

// Seconds from A's death to B's first state write for A's jobs.
double one_trial(const std::string& server, int lease_s, int trial) {
  const std::string database =
      "cuttle_bench_takeover_" + std::to_string(::getpid()) + "_" + std::to_string(trial);
  psql(server, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  psql(server, "CREATE DATABASE " + database);
  const std::string connection = server + " dbname=" + database;
  const fs::path dir = scratch("takeover");
  fs::create_directories(dir / "jobs");
  double seconds = -1;
  {
    Instance a(dir, "a", connection, lease_s);
    Instance b(dir, "b", connection, lease_s);
    const json request = {{"jobdir", (dir / "jobs").string()},
                          {"executable", "/bin/sh"},
                          {"arguments", {"-c", "sleep 2"}},
                          {"scheduler", "slurm"}};
    std::vector<std::string> locations;
    for (int i = 0; i < 5; ++i) {
      const std::string headers = curl({"-i", "-X", "POST", "-H", "Content-Type: application/json",
                                        "-d", request.dump(), a.url("/job")});
      std::smatch m;
      if (!std::regex_search(headers, m, std::regex("Location: (\\S+)"))) {
        throw std::runtime_error("submit failed: " + headers);
      }
      locations.push_back(m[1]);
    }
    for (int i = 0; i < 600; ++i) {
      bool running = true;
      for (const auto& l : locations) {
        running = running && curl({l}).find("\"RUNNING\"") != std::string::npos;
      }
      if (running) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    a.child->kill9();
    const std::int64_t died = wall_ms();
    const std::string first =
        "SELECT COALESCE(MIN(e.time_ms), 0) FROM cuttle_events e JOIN cuttle_jobs j ON j.id = "
        "e.job_id WHERE j.owner = 'b' AND e.time_ms >= " +
        std::to_string(died);
    for (int i = 0; i < 1200 && seconds < 0; ++i) {
      const std::int64_t at = std::stoll(psql(connection, first));
      if (at > 0) seconds = static_cast<double>(at - died) / 1000.0;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  psql(server, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  fs::remove_all(dir);
  if (seconds < 0) throw std::runtime_error("B never wrote a state for A's jobs");
  return seconds;
}

int rest_takeover(const std::vector<std::string>& args) {
  const char* server = std::getenv("CUTTLE_PG_CONNECTION");
  if (!server || !std::getenv("CUTTLE_TEST_SLURM")) {
    throw std::runtime_error(
        "needs CUTTLE_PG_CONNECTION and CUTTLE_TEST_SLURM: eval \"$(tests/env/postgres.sh "
        "start)\"; eval \"$(tests/env/slurm.sh start)\"");
  }
  const int trials = args.size() > 0 ? std::stoi(args[0]) : 10;
  const int lease_s = args.size() > 1 ? std::stoi(args[1]) : 10;
  ::setenv("CUTTLE_LOG", "warn", 1);
  std::vector<double> seconds;
  for (int t = 0; t < trials; ++t) seconds.push_back(one_trial(server, lease_s, t));
  std::sort(seconds.begin(), seconds.end());
  const double p50 = seconds[(seconds.size() - 1) / 2];
  print_result("rest-takeover", {{"trials", std::to_string(trials)},
                                 {"lease_s", std::to_string(lease_s)},
                                 {"p50_s", fmt(p50, 2)},
                                 {"max_s", fmt(seconds.back(), 2)},
                                 {"min_s", fmt(seconds.front(), 2)},
                                 {"over_lease_p50_s", fmt(p50 - lease_s, 2)},
                                 {"goal_s", std::to_string(lease_s + 5)}});
  return 0;
}

CUTTLE_BENCH_SCENARIO("rest-takeover",
                      "kill -9 of a service instance with Slurm jobs: time until another "
                      "instance writes their state (PostgreSQL store, real Slurm)",
                      rest_takeover);

}  // namespace
}  // namespace cuttle::bench
