// Security and bad input: bearer tokens, job directories confined to the configured
// roots, staged names confined to jobdir, size and count limits, hostile arguments passed
// verbatim, and a bounded fuzz of 10,000 malformed requests that must never produce a
// 5xx or bring the service down.
#include <gtest/gtest.h>

#include <Poco/Net/StreamSocket.h>

#include <random>

#include "bindings/rest/config.h"
#include "tests/integration/rest/fuzz_requests.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

class RestSecurity : public ::testing::Test {
 protected:
  void start(json config) {
    write_file(dir_.path() + "/config.json", config.dump(2));
    service_ = std::make_unique<ServiceProcess>(dir_.path() + "/config.json",
                                                dir_.path() + "/service.log");
    ASSERT_TRUE(service_->start(port_)) << service_->log();
  }
  void SetUp() override { fs::create_directories(jobs()); }
  void TearDown() override {
    if (service_) {
      EXPECT_EQ(service_->stop(), 0) << service_->log();
    }
  }
  std::string jobs() const { return dir_.path() + "/jobs"; }
  json valid_request() const {
    return {{"jobdir", jobs()}, {"executable", "/bin/true"}, {"arguments", json::array()}};
  }
  HttpResult post(const json& body, const std::map<std::string, std::string>& headers = {}) {
    return http("POST", port_, "/job", body.dump(), headers);
  }
  static void expect_error(const HttpResult& r, int status, const std::string& field) {
    EXPECT_EQ(r.status, status) << r.body;
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body.value("field", ""), field) << r.body;
    EXPECT_FALSE(body.value("reason", "").empty()) << r.body;
  }

  TempDir dir_{"security"};
  std::uint16_t port_ = free_port();
  std::unique_ptr<ServiceProcess> service_;
};

TEST_F(RestSecurity, BearerTokenIsRequiredWhenTokensAreConfigured) {
  json config = base_config(dir_.path(), port_);
  config["auth"] = {{"tokens", {{{"name", "ci"}, {"sha256", sha256_hex("tok-alpha")}}}}};
  start(config);
  expect_error(http("GET", port_, "/job"), 401, "Authorization");
  expect_error(http("GET", port_, "/job", {}, {{"Authorization", "Bearer tok-beta"}}), 401,
               "Authorization");
  expect_error(http("GET", port_, "/job", {}, {{"Authorization", "Basic dG9rLWFscGhh"}}), 401,
               "Authorization");
  expect_error(post(valid_request()), 401, "Authorization");
  EXPECT_EQ(http("GET", port_, "/job", {}, {{"Authorization", "Bearer tok-alpha"}}).status, 200);
  EXPECT_EQ(post(valid_request(), {{"Authorization", "Bearer tok-alpha"}}).status, 201);
  EXPECT_EQ(http("GET", port_, "/health").status, 200);
  expect_error(http("GET", port_, "/metrics"), 401, "Authorization");
}

// GET /job/{id} of a job in memory is answered on the server's I/O thread (the quick
// path), before any worker: it must check the token all the same.
TEST_F(RestSecurity, AJobAnsweredFromMemoryStillNeedsTheToken) {
  json config = base_config(dir_.path(), port_);
  config["auth"] = {{"tokens", {{{"name", "ci"}, {"sha256", sha256_hex("tok-alpha")}}}}};
  start(config);
  const std::map<std::string, std::string> token = {{"Authorization", "Bearer tok-alpha"}};
  auto submitted = post(valid_request(), token);
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string location = submitted.headers["Location"];
  const std::string path = location.substr(location.find("/job/"));
  ASSERT_EQ(http("GET", port_, path, {}, token).status, 200);  // now in memory
  expect_error(http("GET", port_, path), 401, "Authorization");
  expect_error(http("GET", port_, path, {}, {{"Authorization", "Bearer tok-beta"}}), 401,
               "Authorization");
  EXPECT_EQ(http("HEAD", port_, path).status, 401);
  EXPECT_EQ(http("GET", port_, path, {}, token).status, 200);
}

TEST_F(RestSecurity, TokensCannotBeTurnedOffOffLoopback) {
  json config = base_config(dir_.path(), port_);
  config["listen"] = "0.0.0.0:" + std::to_string(port_);
  write_file(dir_.path() + "/config.json", config.dump());
  ServiceProcess service(dir_.path() + "/config.json", dir_.path() + "/refused.log");
  EXPECT_FALSE(service.start(port_));
  EXPECT_EQ(service.exit_code(), 2);
  EXPECT_NE(service.log().find("disable_tokens"), std::string::npos) << service.log();
}

TEST_F(RestSecurity, AConfigWithoutTokensOrAnExplicitOptOutDoesNotStart) {
  json config = base_config(dir_.path(), port_);
  config.erase("auth");
  write_file(dir_.path() + "/config.json", config.dump());
  ServiceProcess service(dir_.path() + "/config.json", dir_.path() + "/refused.log");
  EXPECT_FALSE(service.start(port_));
  EXPECT_EQ(service.exit_code(), 2);
  EXPECT_NE(service.log().find("auth.tokens"), std::string::npos) << service.log();
}

TEST_F(RestSecurity, JobdirMustLieUnderAConfiguredRoot) {
  start(base_config(dir_.path(), port_));
  json r = valid_request();
  r["jobdir"] = "/etc";
  expect_error(post(r), 403, "jobdir");
  r["jobdir"] = jobs() + "/../";
  expect_error(post(r), 403, "jobdir");
  r["jobdir"] = "relative/dir";
  expect_error(post(r), 400, "jobdir");
  fs::create_directory_symlink("/etc", jobs() + "/escape");
  r["jobdir"] = jobs() + "/escape";
  expect_error(post(r), 403, "jobdir");
  r["jobdir"] = jobs() + "/missing";
  expect_error(post(r), 400, "jobdir");
}

TEST_F(RestSecurity, StagedNamesAreConfinedToJobdir) {
  start(base_config(dir_.path(), port_));
  write_file(dir_.path() + "/secret", "no");
  write_file(jobs() + "/ok.txt", "yes");
  fs::create_symlink(dir_.path() + "/secret", jobs() + "/link");
  const std::vector<std::pair<std::string, json>> cases = {
      {"prestaged[0]", {{"prestaged", {"../secret"}}}},
      {"prestaged[0]", {{"prestaged", {"/etc/passwd"}}}},
      {"prestaged[1]", {{"prestaged", {"ok.txt", "a/../../secret"}}}},
      {"prestaged[0]", {{"prestaged", {"link"}}}},
      {"prestaged[0]", {{"prestaged", {"does-not-exist"}}}},
      {"prestaged[0]", {{"prestaged", {""}}}},
      {"poststaged[0]", {{"poststaged", {"../../x"}}}},
      {"poststaged[0]", {{"poststaged", {"/tmp/x"}}}},
      {"stdout", {{"stdout", "../out.txt"}}},
      {"stderr", {{"stderr", "/etc/shadow"}}},
  };
  for (const auto& [field, patch] : cases) {
    json r = valid_request();
    r.update(patch);
    const auto result = post(r);
    EXPECT_GE(result.status, 400) << patch;
    EXPECT_LT(result.status, 500) << patch;
    EXPECT_EQ(json::parse(result.body, nullptr, false).value("field", ""), field)
        << patch << result.body;
  }
  json ok = valid_request();
  ok["prestaged"] = {"ok.txt", "./ok.txt"};
  EXPECT_EQ(post(ok).status, 201);
}

TEST_F(RestSecurity, BodySizeAndCountLimitsAreEnforced) {
  json config = base_config(dir_.path(), port_);
  config["limits"] = {{"max_body_bytes", 4096},
                      {"max_arguments", 8},
                      {"max_staged_files", 2},
                      {"max_environment", 2}};
  start(config);
  json r = valid_request();
  r["arguments"] = json::array();
  for (int i = 0; i < 9; ++i) r["arguments"].push_back("a");
  expect_error(post(r), 413, "arguments");
  r = valid_request();
  r["poststaged"] = {"a", "b", "c"};
  expect_error(post(r), 413, "poststaged");
  r = valid_request();
  r["environment"] = {{"A", "1"}, {"B", "2"}, {"C", "3"}};
  expect_error(post(r), 413, "environment");
  r = valid_request();
  r["arguments"] = {std::string(5000, 'x')};
  expect_error(post(r), 413, "(body)");
}

TEST_F(RestSecurity, FieldsWithTheWrongTypeOrUnknownNamesAreNamedInThe400) {
  start(base_config(dir_.path(), port_));
  const std::vector<std::pair<std::string, json>> cases = {
      {"executable", {{"executable", 5}}},
      {"executable", {{"executable", ""}}},
      {"arguments", {{"arguments", "not a list"}}},
      {"arguments[1]", {{"arguments", {"a", 2}}}},
      {"environment", {{"environment", {"A=B"}}}},
      {"environment.1BAD", {{"environment", {{"1BAD", "x"}}}}},
      {"environment.A", {{"environment", {{"A", 1}}}}},
      {"status_callback_url", {{"status_callback_url", "ftp://x/y"}}},
      {"status_callback_url", {{"status_callback_url", "http://"}}},
      {"max_runtime", {{"max_runtime", -5}}},
      {"retry_limit", {{"retry_limit", "3"}}},
      {"scheduler", {{"scheduler", "nope"}}},
      {"surprise", {{"surprise", true}}},
  };
  for (const auto& [field, patch] : cases) {
    json r = valid_request();
    r.update(patch);
    expect_error(post(r), 400, field);
  }
  json missing = valid_request();
  missing.erase("executable");
  expect_error(post(missing), 400, "executable");
  expect_error(http("POST", port_, "/job", "[1,2]"), 400, "(body)");
  expect_error(http("POST", port_, "/job", "{\"jobdir\": "), 400, "(body)");
  expect_error(http("POST", port_, "/job", std::string(100, '[')), 400, "(body)");
  expect_error(http("PATCH", port_, "/job"), 405, "(method)");
  expect_error(http("GET", port_, "/job?limit=-1"), 400, "limit");
  expect_error(http("GET", port_, "/job?state=SLEEPING"), 400, "state");
  expect_error(http("GET", port_, "/job?page_token=abc"), 400, "page_token");
}

TEST_F(RestSecurity, HostileArgumentsAndEnvironmentReachTheJobVerbatim) {
  start(base_config(dir_.path(), port_));
  const std::vector<std::string> hostile = {"$(touch pwned)",
                                            "`touch pwned`",
                                            "a b\tc\nd",
                                            "'\"",
                                            "*",
                                            "; touch pwned",
                                            "--",
                                            "",
                                            "\\",
                                            "$HOME",
                                            "ä€😀"};
  json r = valid_request();
  r["executable"] = "/bin/sh";
  r["arguments"] = {"-c", "printf '%s|' \"$@\" > args.txt; printf '%s' \"$HOSTILE\" > env.txt",
                    "sh"};
  for (const auto& h : hostile) r["arguments"].push_back(h);
  r["environment"] = {{"HOSTILE", "$(touch pwned) `x` '\"\n;"}};
  r["poststaged"] = {"args.txt", "env.txt"};
  auto result = post(r);
  ASSERT_EQ(result.status, 201) << result.body;
  ASSERT_TRUE(eventually(
      [&] { return job_document(port_, result.headers["Location"])["status"]["done"] == true; },
      std::chrono::seconds(30)));
  std::string expected;
  for (const auto& h : hostile) expected += h + "|";
  EXPECT_EQ(read_file(jobs() + "/args.txt"), expected);
  EXPECT_EQ(read_file(jobs() + "/env.txt"), "$(touch pwned) `x` '\"\n;");
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
    EXPECT_NE(entry.path().filename(), "pwned") << entry.path();
  }
}

TEST_F(RestSecurity, TlsServesTheApiOverHttps) {
  LocalRunner runner;
  const std::string cert = dir_.path() + "/cert.pem";
  const std::string key = dir_.path() + "/key.pem";
  auto made = runner.run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                          key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"});
  ASSERT_EQ(made.exit_code, 0) << made.stderr_text;
  json config = base_config(dir_.path(), port_);
  config["tls"] = {{"certificate", cert}, {"private_key", key}};
  write_file(dir_.path() + "/config.json", config.dump(2));
  service_ =
      std::make_unique<ServiceProcess>(dir_.path() + "/config.json", dir_.path() + "/service.log");
  service_->use_tls();
  ASSERT_TRUE(service_->start(port_)) << service_->log();
  const std::string base = "https://127.0.0.1:" + std::to_string(port_);
  const json request = valid_request();
  auto submit = runner.run({"curl", "-s", "-i", "--cacert", cert, "-X", "POST", "-H",
                            "Content-Type: application/json", "-d", request.dump(), base + "/job"});
  EXPECT_NE(submit.stdout_text.find("201 Created"), std::string::npos) << submit.stdout_text;
  EXPECT_NE(submit.stdout_text.find("Location: https://127.0.0.1:"), std::string::npos);
  // Plain HTTP on the TLS port gets no answer from the API.
  auto plain = runner.run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                           "http://127.0.0.1:" + std::to_string(port_) + "/health"});
  EXPECT_NE(plain.stdout_text, "200");
}

// Mutations of a valid request, and raw garbage over the socket.
class Fuzzer {
 public:
  Fuzzer(std::string jobs, std::uint32_t seed) : jobs_(std::move(jobs)), dice_(seed) {}

  std::string body() {
    json base = {{"jobdir", jobs_},
                 {"executable", "/bin/echo"},
                 {"arguments", {"x", "$(id)"}},
                 {"prestaged", json::array()},
                 {"poststaged", {"out"}},
                 {"stdout", "o.txt"},
                 {"stderr", "e.txt"},
                 {"environment", {{"A", "b"}}},
                 {"status_callback_url", "http://127.0.0.1:1/cb"}};
    switch (pick(8)) {
      case 0:  // wrong type for one field
        base[pick_field()] = weird_value();
        return base.dump();
      case 1:  // truncated
      {
        std::string text = base.dump();
        return text.substr(0, pick(text.size()));
      }
      case 2:  // byte flips
      {
        std::string text = base.dump();
        for (int i = 0, n = 1 + static_cast<int>(pick(8)); i < n; ++i) {
          text[pick(text.size())] = static_cast<char>(pick(256));
        }
        return text;
      }
      case 3:  // deep nesting in a field
        base[pick_field()] = json::parse(std::string(20, '[') + std::string(20, ']'));
        return std::string(pick(2) ? 40 : 5000, '[');
      case 4:  // hostile staged names
        base[pick(2) ? "prestaged" : "poststaged"] = {hostile_path()};
        return base.dump();
      case 5:  // extra or duplicate keys
      {
        std::string text = base.dump();
        text.insert(1, "\"jobdir\": 1, \"" + random_text(6) + "\": null, ");
        return text;
      }
      case 6:  // random bytes
        return random_text(pick(300));
      default:  // invalid UTF-8 and escapes
        return "{\"jobdir\": \"" + jobs_ +
               "\", \"executable\": \"\\u0000\xff\xfe\", \"arguments\": [\"\\ud800\"]}";
    }
  }

  std::string target() {
    static const std::vector<std::string> kTargets = {
        "/job",
        "/job/",
        "/job/%00",
        "/job/../../etc/passwd",
        "/job?limit=abc",
        "/job?state=%ff",
        "/job?page_token=-1",
        "/job/" + std::string(300, 'a'),
        "/job/x/events",
        "/job/x/extend",
        "/job/x/cancel",
        "/metrics",
        "/openapi.json",
        "/%zz",
        "/job?limit=99999999999999",
        "/job/00000000-0000-0000-0000-000000000000/events?follow=false"};
    return kTargets[pick(kTargets.size())];
  }

  std::string method() {
    static const std::vector<std::string> kMethods = {"GET",    "POST",  "PUT",
                                                      "DELETE", "PATCH", "OPTIONS"};
    return kMethods[pick(kMethods.size())];
  }

  std::string raw_request() {
    switch (pick(4)) {
      case 0:
        return random_text(pick(200)) + "\r\n\r\n";
      case 1:
        return "POST /job HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n{";
      case 2:
        return "GET /job HTTP/1.1\r\nHost: x\r\n" + std::string(10000, 'h') + ": v\r\n\r\n";
      default:
        return "POST /job HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" +
               random_text(20) + "\r\n0\r\n\r\n";
    }
  }

  std::size_t pick(std::size_t n) { return dice_.pick(n); }

 private:
  std::string pick_field() {
    static const std::vector<std::string> kFields = {
        "jobdir",      "executable", "arguments",   "prestaged",           "poststaged",
        "stdout",      "stderr",     "environment", "status_callback_url", "max_runtime",
        "retry_limit", "labels",     "scheduler"};
    return kFields[pick(kFields.size())];
  }
  json weird_value() { return dice_.weird_value(kHostilePaths); }
  std::string hostile_path() { return dice_.one_of(kHostilePaths); }
  std::string random_text(std::size_t n) { return dice_.random_text(n); }
  inline static const std::vector<std::string> kHostilePaths = {
      "..", "../../etc/passwd", "/etc/passwd", "a/../../b",  "$(touch /tmp/pwned)", "`id`", "a\nb",
      "*",  "~root/.ssh",       "a\\..\\b",    "./././../x", std::string(5000, 'a')};

  std::string jobs_;
  FuzzDice dice_;
};

TEST_F(RestSecurity, TenThousandMalformedRequestsNeverCauseA5xxOrACrash) {
  json config = base_config(dir_.path(), port_);
  config["limits"] = {{"max_body_bytes", 65536}};
  config["schedulers"] = {{"local", {{"location", "local://"}}}};
  start(config);
  Fuzzer fuzz(jobs(), 20261123);
  FuzzClient client(port_);
  int& five_hundreds = client.tally().five_hundreds;
  for (int i = 0; i < 10000; ++i) {
    if (i % 10 == 9) {
      // Malformed HTTP on a raw socket: any answer (or a closed connection) is fine.
      try {
        Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_));
        socket.setReceiveTimeout(Poco::Timespan(2, 0));
        const std::string raw = fuzz.raw_request();
        socket.sendBytes(raw.data(), static_cast<int>(raw.size()));
        char buffer[512];
        const int n = socket.receiveBytes(buffer, sizeof buffer);
        if (n > 12 && std::string(buffer, 12).find(" 5") != std::string::npos) ++five_hundreds;
      } catch (const Poco::Exception&) {
      }
      continue;
    }
    const bool submit = fuzz.pick(3) != 0;
    const std::string method = submit ? "POST" : fuzz.method();
    const std::string target = submit ? "/job" : fuzz.target();
    const std::string body = submit || fuzz.pick(2) ? fuzz.body() : std::string();
    client.send(method, target, body);
  }
  const int non_json_errors = client.tally().non_json_errors;
  std::map<int, int>& by_status = client.tally().by_status;
  EXPECT_EQ(five_hundreds, 0);
  EXPECT_EQ(non_json_errors, 0);
  EXPECT_GT(by_status[400] + by_status[403] + by_status[413], 5000);
  // Still alive and answering.
  EXPECT_EQ(http("GET", port_, "/health").status, 200);
  EXPECT_EQ(http("GET", port_, "/job").status, 200);
}

}  // namespace
}  // namespace cuttle::rest::testing
