// REST service benchmarks. Each starts its own service (the real binary) and, for
// rest-status, an nginx serving a static file of the same size as a status document, on
// free loopback ports, drives them with wrk (same threads, connections and duration), and
// stops them. Bounded: a few seconds of load each.
//   rest-status  GET /job/{id} of a finished job vs nginx  -> ratio = ours / nginx
// rest-submit is in rest_submit_bench.cc.
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

constexpr int kWrkConnections = 32;

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
    ours = wrk_requests_per_second({}, location, kWrkConnections);
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
    theirs = wrk_requests_per_second({}, url, kWrkConnections);
  }
  fs::remove_all(dir);
  print_result("rest-status", {{"ours_rps", fmt(ours, 0)},
                               {"nginx_rps", fmt(theirs, 0)},
                               {"bytes", std::to_string(size)},
                               {"ratio", fmt(ours / theirs, 2)},
                               {"goal", "0.5"}});
  return 0;
}

CUTTLE_BENCH_SCENARIO("rest-status", "GET /job/{id} with wrk vs nginx serving the same bytes",
                      rest_status);

}  // namespace
}  // namespace cuttle::bench
