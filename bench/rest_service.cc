#include "bench/rest_service.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "cuttle/command_runner.h"

extern char** environ;

namespace cuttle::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path build_dir() {
  if (const char* dir = std::getenv("CUTTLE_BINARY_DIR")) return dir;
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path();
}

}  // namespace

double wrk_requests_per_second(const std::vector<std::string>& extra, const std::string& url,
                               int connections, const std::string& duration) {
  std::vector<std::string> argv = {"wrk", "-t",    "2", "-c", std::to_string(connections),
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

std::vector<std::string> service_command() {
  const fs::path cli = build_dir() / "bindings/cli/cuttle";
  if (fs::exists(cli)) {
    LocalRunner runner;
    auto r = runner.run({cli.string(), "serve", "--help"}, {{}, std::chrono::milliseconds(10000)});
    if (r.exit_code == 0 && r.stdout_text.find("joblauncher") != std::string::npos) {
      return {cli.string(), "serve"};
    }
  }
  const fs::path stand_in = build_dir() / "rest_test_serve";
  if (!fs::exists(stand_in))
    throw std::runtime_error("no service binary under " + build_dir().string());
  return {stand_in.string()};
}

fs::path scratch(const std::string& tag) {
  std::string pattern = "/tmp/cuttle-bench-" + tag + "-XXXXXX";
  return ::mkdtemp(pattern.data());
}

std::string curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-s", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  LocalRunner runner;
  return runner.run(argv).stdout_text;
}

void wait_http(const std::string& url) {
  for (int i = 0; i < 300; ++i) {
    LocalRunner runner;
    if (runner.run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url}).stdout_text ==
        "200")
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("no answer from " + url);
}

Child::Child(std::vector<std::string> argv, const std::string& log) {
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

void Child::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Child::~Child() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

Service::Service(const fs::path& d, const json& extra) : dir(d) {
  fs::create_directories(dir / "jobs");
  json config = {{"listen", "127.0.0.1:" + std::to_string(port)},
                 {"auth", {{"disable_tokens", true}}},
                 {"store", {{"kind", "sqlite"}, {"path", (dir / "state/jobs.db").string()}}},
                 {"sandbox_root", (dir / "state/sandboxes").string()},
                 {"jobdir_roots", {(dir / "jobs").string()}},
                 {"schedulers",
                  {{"local", {{"location", "local://"}, {"properties", {{"mode", "detached"}}}}}}}};
  if (extra.is_object()) config.update(extra);
  std::ofstream(dir / "config.json") << config.dump(2);
  auto argv = service_command();
  argv.push_back("--config");
  argv.push_back((dir / "config.json").string());
  ::setenv("CUTTLE_LOG", "warn", 1);
  child = std::make_unique<Child>(argv, (dir / "service.log").string());
  wait_http(url("/health"));
}

std::string Service::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

}  // namespace cuttle::bench
