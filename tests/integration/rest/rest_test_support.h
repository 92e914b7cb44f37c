// Helpers for the REST integration tests: start the real service binary as a separate
// process on a free loopback port, talk HTTP to it, and receive its status callbacks in
// a small HTTP server that checks the MAC signature.
// Thread-safety: CallbackServer records from its own threads under a lock; the rest is
// used from the test thread.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bindings/rest/mac_auth.h"
#include "cuttle/command_runner.h"
#include "tests/unit/free_port.h"
#include "tests/unit/test_util.h"

extern char** environ;

namespace cuttle::rest::testing {

using nlohmann::json;
namespace fs = std::filesystem;
using ::cuttle::testing::env;
using ::cuttle::testing::free_port;
using ::cuttle::testing::in_ci;
using ::cuttle::testing::read_file;
using ::cuttle::testing::write_file;

// A fresh directory under /tmp for one test (removed by the destructor).
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string pattern = "/tmp/cuttle-rest-" + tag + "-XXXXXX";
    path_ = ::mkdtemp(pattern.data());
  }
  // Kept when the test failed, for a look at the service's state and log afterwards.
  ~TempDir() {
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "kept for inspection: %s\n", path_.c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

inline HttpResult http(const std::string& method, std::uint16_t port, const std::string& target,
                       const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {}) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) request.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    if (!request.has("Content-Type")) request.setContentType("application/json");
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpResult result;
  result.status = response.getStatus();
  for (const auto& [k, v] : response) result.headers[k] = v;
  Poco::StreamCopier::copyToString(in, result.body);
  return result;
}

// A TCP connection to 127.0.0.1:`port`; -1 when it cannot be made. The caller closes it.
inline int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// What a raw exchange on one TCP connection got back.
struct RawExchange {
  std::string received;  // everything read until the server closed or `wait` passed
  std::chrono::milliseconds first_byte{-1};  // when the first byte arrived (-1: never)
  bool reset = false;                        // a read or write failed (ECONNRESET, EPIPE)
};

// Sends `head`, then `body` (all of it, as a naive client does), then reads whatever comes
// back until the server closes the connection or `wait` passes. No HTTP library in the
// way, so malformed requests reach the server exactly as written.
inline RawExchange raw_exchange(std::uint16_t port, const std::string& head,
                                const std::string& body = {},
                                std::chrono::milliseconds wait = std::chrono::seconds(10)) {
  RawExchange out;
  const int fd = connect_loopback(port);
  if (fd < 0) {
    out.reset = true;
    return out;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string bytes = head + body;
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      out.reset = true;
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  const auto deadline = start + wait;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) <= 0) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0) out.reset = true;
    if (n <= 0) break;
    if (out.received.empty()) {
      out.first_byte = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    out.received.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// The service binary: the `cuttle` command when it carries the REST service, else the
// test-only stand-in built next to the tests.
// The build directory: CUTTLE_BINARY_DIR, else two levels above this test executable
// (<build>/tests/integration/<test>).
inline std::string binary_dir() {
  if (const char* dir = std::getenv("CUTTLE_BINARY_DIR"); dir && *dir) return dir;
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path().string();
}

inline std::vector<std::string> service_command() {
  const std::string binary_dir = cuttle::rest::testing::binary_dir();
  const std::string cli = binary_dir + "/bindings/cli/cuttle";
  if (fs::exists(cli)) {
    cuttle::LocalRunner runner;
    try {
      auto r = runner.run({cli, "serve", "--help"}, {{}, std::chrono::milliseconds(10000)});
      if (r.exit_code == 0 && r.stdout_text.find("joblauncher") != std::string::npos) {
        return {cli, "serve"};
      }
    } catch (const std::exception&) {
    }
  }
  return {binary_dir + "/rest_test_serve"};
}

// One running service process.
class ServiceProcess {
 public:
  ServiceProcess(std::string config_path, std::string log_path)
      : config_path_(std::move(config_path)), log_path_(std::move(log_path)) {}
  ~ServiceProcess() { stop(); }

  // Starts and waits (bounded) until GET /health answers on `port`.
  bool start(std::uint16_t port, const std::vector<std::string>& extra = {}) {
    port_ = port;
    std::vector<std::string> argv = command_.empty() ? service_command() : command_;
    argv.push_back("--config");
    argv.push_back(config_path_);
    for (const auto& a : extra) argv.push_back(a);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, raw[0], &actions, nullptr, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = status;
        pid_ = -1;
        return false;
      }
      try {
        if (tls_) {
          cuttle::LocalRunner runner;
          const auto r = runner.run({"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                                     "https://127.0.0.1:" + std::to_string(port_) + "/health"});
          if (r.stdout_text == "200") return true;
        } else if (http("GET", port_, "/health").status == 200) {
          return true;
        }
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // SIGTERM and wait; returns the exit code (or -1).
  int stop() {
    if (pid_ <= 0) return exit_code();
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_status_ = status;
        return exit_code();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill9();
    return -1;
  }

  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_status_ = status;
    pid_ = -1;
  }

  // SIGSTOP / SIGCONT and the like, to the running process.
  void send_signal(int signal) {
    if (pid_ > 0) ::kill(pid_, signal);
  }

  // Health checks over HTTPS (a TLS config).
  void use_tls() { tls_ = true; }
  // The next start() runs this program instead of the service (e.g. a fault-injecting
  // build of it); empty: the service again.
  void use_command(std::vector<std::string> command) { command_ = std::move(command); }
  int exit_code() const { return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1; }
  std::string log() const { return read_file(log_path_); }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  std::string config_path_;
  std::string log_path_;
  pid_t pid_ = -1;
  int exit_status_ = 0;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::vector<std::string> command_;
};

// A minimal service config as JSON, rooted at `dir`.
inline json base_config(const std::string& dir, std::uint16_t port) {
  return json{{"listen", "127.0.0.1:" + std::to_string(port)},
              {"auth", {{"disable_tokens", true}}},
              {"store", {{"kind", "sqlite"}, {"path", dir + "/state/jobs.db"}}},
              {"sandbox_root", dir + "/state/sandboxes"},
              {"jobdir_roots", json::array({dir + "/jobs"})},
              {"poll_interval", "1s"},
              {"callbacks", {{"retry_initial", "100ms"}, {"retry_max", "1s"}}},
              {"schedulers",
               {{"local", {{"location", "local://"}, {"properties", {{"mode", "detached"}}}}}}}};
}

// Waits (bounded) until `predicate` holds.
inline bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return predicate();
}

// POST /job; expects 201 and returns the job's path (/job/{id}) from its Location.
inline std::string submit_job(std::uint16_t port, const json& request) {
  auto r = http("POST", port, "/job", request.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  const std::string location = r.headers["Location"];
  return location.substr(location.find("/job/"));
}

inline json job_document(std::uint16_t port, const std::string& location) {
  const auto path = location.substr(location.find("/job/"));
  auto r = http("GET", port, path);
  return r.status == 200 ? json::parse(r.body) : json();
}

// Receives status callbacks. Answers 503 to the first `fail_first` PUTs of each path
// (to exercise retries), 200 afterwards. Checks the MAC with the given key when set.
class CallbackServer {
 public:
  struct Received {
    std::string path;
    std::string authorization;
    std::string seq;  // X-Cuttle-Callback-Seq: the outbox row, the same on a resend
    json body;
    bool mac_ok = false;
    int answered = 0;
  };

  CallbackServer(std::optional<MacKey> key = std::nullopt, int fail_first = 0,
                 std::uint16_t port = 0)
      : key_(std::move(key)), fail_first_(fail_first), port_(port ? port : free_port()) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(16);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this),
                                                      Poco::Net::ServerSocket(port_), params);
    server_->start();
  }
  ~CallbackServer() { server_->stopAll(true); }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Accepted (200) callbacks for one path, in arrival order.
  std::vector<Received> accepted(const std::string& path) const {
    std::vector<Received> out;
    for (const auto& r : received()) {
      if (r.path == path && r.answered == 200) out.push_back(r);
    }
    return out;
  }
  // Whether the last callback accepted for `path` says the job is done.
  bool done_accepted(const std::string& path) const {
    auto got = accepted(path);
    return !got.empty() && got.back().body["status"]["done"] == true;
  }
  // How many callbacks accepted for `path` say the job is done (the contract: one).
  int terminal_callbacks(const std::string& path) const {
    int n = 0;
    for (const auto& r : accepted(path)) n += r.body["status"]["done"] == true ? 1 : 0;
    return n;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(CallbackServer& owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      std::string body;
      Poco::StreamCopier::copyToString(request.stream(), body);
      Received r;
      r.path = request.getURI();
      r.authorization = request.get("Authorization", "");
      r.seq = request.get("X-Cuttle-Callback-Seq", "");
      r.body = json::parse(body, nullptr, false);
      r.mac_ok = owner_.check_mac(request, r.authorization);
      {
        std::lock_guard lock(owner_.mutex_);
        const int seen = owner_.attempts_[r.path]++;
        r.answered = request.getMethod() != "PUT" ? 405 : seen < owner_.fail_first_ ? 503 : 200;
        owner_.received_.push_back(r);
      }
      response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.answered));
      response.setContentLength(0);
      response.send();
    }

   private:
    CallbackServer& owner_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(CallbackServer& owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    CallbackServer& owner_;
  };

  bool check_mac(const Poco::Net::HTTPServerRequest& request, const std::string& header) const {
    if (!key_) return header.empty();
    auto fields = parse_mac_header(header);
    if (!fields || (*fields)["id"] != key_->id) return false;
    std::string host = request.getHost();
    std::uint16_t port = 80;
    if (auto colon = host.rfind(':'); colon != std::string::npos) {
      port = static_cast<std::uint16_t>(std::stoi(host.substr(colon + 1)));
      host.resize(colon);
    }
    const std::string expected =
        mac_sign(key_->algorithm, key_->key,
                 mac_normalized_string((*fields)["ts"], (*fields)["nonce"], request.getMethod(),
                                       request.getURI(), host, port));
    return constant_time_equal(expected, (*fields)["mac"]);
  }

  std::optional<MacKey> key_;
  int fail_first_;
  std::uint16_t port_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  mutable std::mutex mutex_;
  std::vector<Received> received_;
  std::map<std::string, int> attempts_;
};

// A fixture with one service in a fresh directory (jobdir root: jobs()) on a free port,
// started by start(config) and stopped (exit code 0 expected) after the test.
class RestServiceTest : public ::testing::Test {
 protected:
  explicit RestServiceTest(const std::string& tag) : dir_(tag) { fs::create_directories(jobs()); }
  void start(const json& config) {
    write_file(dir_.path() + "/config.json", config.dump(2));
    service_ = std::make_unique<ServiceProcess>(dir_.path() + "/config.json",
                                                dir_.path() + "/service.log");
    ASSERT_TRUE(service_->start(port_)) << service_->log();
  }
  void TearDown() override {
    if (service_) {
      EXPECT_EQ(service_->stop(), 0) << service_->log();
    }
  }
  std::string jobs() const { return dir_.path() + "/jobs"; }
  // Submits `/bin/sh -c command` (plus `extra` fields); returns the job's path.
  std::string submit(const std::string& command, json extra = json::object()) {
    json request = {{"jobdir", jobs()}, {"executable", "/bin/sh"}, {"arguments", {"-c", command}}};
    request.update(extra);
    return submit_job(port_, request);
  }
  json doc(const std::string& path) { return json::parse(http("GET", port_, path).body); }
  bool wait_state(const std::string& path, const std::string& state) {
    return eventually([&] { return doc(path)["status"]["state"] == state; },
                      std::chrono::seconds(30));
  }

  TempDir dir_;
  std::uint16_t port_ = free_port();
  std::unique_ptr<ServiceProcess> service_;
};

// Fails in CI, skips locally: for tests that need a server that is not running.
#define CUTTLE_REQUIRE_ENV(var)                                            \
  do {                                                                     \
    if (!std::getenv(var)) {                                               \
      if (::cuttle::testing::in_ci()) FAIL() << var << " is not set (CI)"; \
      GTEST_SKIP() << var << " is not set; start tests/env/postgres.sh";   \
    }                                                                      \
  } while (0)

}  // namespace cuttle::rest::testing
