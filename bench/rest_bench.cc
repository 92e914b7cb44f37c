// REST service benchmarks. Each starts its own service (the real binary) and, for
// rest-status, an nginx serving a static file of the same size as a status document, on
// free loopback ports, drives them with wrk (same threads, connections and duration), and
// stops them. Bounded: a few seconds of load each.
//   rest-status  GET /job/{id} of a finished job vs nginx  -> ratio = ours / nginx
//   rest-submit  POST /job of /bin/true jobs, SQLite store -> jobs_per_s (accepted and
//                durably journaled), completed_per_s (until every job is DONE)
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <thread>

#include "bench/rest_service.h"
#include "bench/scenario.h"
#include "cuttle/command_runner.h"

namespace cuttle::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kWrkThreads = 2;
constexpr int kWrkConnections = 32;
constexpr const char* kWrkDuration = "5s";

double wrk_requests_per_second(const std::vector<std::string>& extra, const std::string& url,
                               const std::string& duration = kWrkDuration) {
  std::vector<std::string> argv = {
      "wrk", "-t",    std::to_string(kWrkThreads), "-c", std::to_string(kWrkConnections),
      "-d",  duration};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  LocalRunner runner;
  const auto r = runner.run(argv, {{}, std::chrono::milliseconds(60000)});
  std::smatch m;
  if (!std::regex_search(r.stdout_text, m, std::regex("Requests/sec:\\s+([0-9.]+)"))) {
    throw std::runtime_error("wrk: " + r.stdout_text + r.stderr_text);
  }
  if (r.stdout_text.find("Non-2xx") != std::string::npos) {
    throw std::runtime_error("wrk saw errors: " + r.stdout_text);
  }
  return std::stod(m[1]);
}

int rest_status(const std::vector<std::string>&) {
  const fs::path dir = scratch("status");
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  double ours = 0;
  std::size_t size = 0;
  {
    // A short poll interval, so the finished job leaves the service's memory (issue 16)
    // before wrk starts: clients mostly poll jobs that have finished.
    Service service(dir / "service",
                    {{"http_threads", kWrkConnections + 8}, {"poll_interval", "200ms"}});
    const json request = {{"jobdir", (service.dir / "jobs").string()}, {"executable", "/bin/true"}};
    const std::string headers = curl({"-i", "-X", "POST", "-H", "Content-Type: application/json",
                                      "-d", request.dump(), service.url("/job")});
    std::smatch m;
    if (!std::regex_search(headers, m, std::regex("Location: (\\S+)"))) {
      throw std::runtime_error("submit failed: " + headers);
    }
    const std::string location = m[1];
    std::string doc;
    for (int i = 0; i < 200; ++i) {
      doc = curl({location});
      if (doc.find("\"DONE\"") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    size = doc.size();
    std::this_thread::sleep_for(std::chrono::seconds(1));  // a few polls
    ours = wrk_requests_per_second({}, location);
  }
  double theirs = 0;
  {
    const fs::path root = dir / "nginx";
    fs::create_directories(root / "html");
    fs::permissions(root, fs::perms::all);
    std::ofstream(root / "html/status.json") << std::string(size, 'x');
    const std::uint16_t port = free_port();
    std::ofstream(root / "nginx.conf")
        << "worker_processes auto;\npid " << (root / "nginx.pid").string() << ";\n"
        << "error_log " << (root / "error.log").string() << ";\n"
        << "events { worker_connections 1024; }\n"
        << "http {\n  access_log off;\n  keepalive_requests 1000000;\n"
        << "  client_body_temp_path " << (root / "tmp").string() << ";\n"
        << "  proxy_temp_path " << (root / "tmp").string() << ";\n"
        << "  default_type application/json;\n"
        << "  server {\n    listen 127.0.0.1:" << port << ";\n    root " << (root / "html").string()
        << ";\n  }\n}\n";
    fs::create_directories(root / "tmp");
    Child nginx({"/usr/sbin/nginx", "-p", root.string(), "-c", (root / "nginx.conf").string(), "-g",
                 "daemon off;"},
                (root / "nginx.log").string());
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/status.json";
    wait_http(url);
    theirs = wrk_requests_per_second({}, url);
  }
  fs::remove_all(dir);
  print_result("rest-status", {{"ours_rps", fmt(ours, 0)},
                               {"nginx_rps", fmt(theirs, 0)},
                               {"bytes", std::to_string(size)},
                               {"ratio", fmt(ours / theirs, 2)},
                               {"goal", "0.5"}});
  return 0;
}

int rest_submit(const std::vector<std::string>&) {
  const fs::path dir = scratch("submit");
  double accepted = 0;
  double completed_per_s = 0;
  std::size_t jobs = 0;
  std::size_t total = 0;
  {
    Service service(dir / "service", {{"http_threads", kWrkConnections + 8}});
    const json request = {{"jobdir", (service.dir / "jobs").string()}, {"executable", "/bin/true"}};
    const fs::path script = dir / "post.lua";
    std::ofstream(script) << "wrk.method = \"POST\"\nwrk.body = " << json(request.dump()).dump()
                          << "\nwrk.headers[\"Content-Type\"] = \"application/json\"\n";
    const double start = now_seconds();
    // Short: every accepted job really runs afterwards.
    accepted = wrk_requests_per_second({"-s", script.string()}, service.url("/job"), "2s");
    // Then until every accepted job has run (bounded).
    for (int i = 0; i < 600; ++i) {
      if (curl({service.url("/job?state=INITIAL,PENDING,RUNNING&limit=1")}) == "[]") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const double elapsed = now_seconds() - start;
    jobs = json::parse(curl({service.url("/job?state=DONE")})).size();
    total = json::parse(curl({service.url("/job")})).size();
    completed_per_s = static_cast<double>(jobs) / elapsed;
  }
  fs::remove_all(dir);
  print_result("rest-submit", {{"jobs_per_s", fmt(accepted, 0)},
                               {"accepted_jobs", std::to_string(total)},
                               {"completed_jobs", std::to_string(jobs)},
                               {"completed_per_s", fmt(completed_per_s, 0)},
                               {"goal", "1000"}});
  return 0;
}

CUTTLE_BENCH_SCENARIO("rest-status", "GET /job/{id} with wrk vs nginx serving the same bytes",
                      rest_status);
CUTTLE_BENCH_SCENARIO("rest-submit", "POST /job of /bin/true jobs, durable SQLite store",
                      rest_submit);

}  // namespace
}  // namespace cuttle::bench
