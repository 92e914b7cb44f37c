// Status callbacks: a PUT of the status document on every state change, MAC-signed with
// the key configured for the receiver's host:port (HMAC-SHA-1 by default, SHA-256 by
// option), sent at once, retried until accepted, in order, one terminal PUT per job.
#include <gtest/gtest.h>

#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

struct Fixture {
  TempDir dir{"callback"};
  std::uint16_t port = free_port();
  std::unique_ptr<ServiceProcess> service;

  void start(const json& config) {
    fs::create_directories(dir.path() + "/jobs");
    write_file(dir.path() + "/config.json", config.dump(2));
    service =
        std::make_unique<ServiceProcess>(dir.path() + "/config.json", dir.path() + "/service.log");
    ASSERT_TRUE(service->start(port)) << service->log();
  }

  std::string submit(const std::string& script, const std::string& callback_url) {
    write_file(dir.path() + "/jobs/run.sh", script);
    const json request = {{"jobdir", dir.path() + "/jobs"},
                          {"executable", "/bin/sh"},
                          {"arguments", {"run.sh"}},
                          {"prestaged", {"run.sh"}},
                          {"status_callback_url", callback_url}};
    auto r = http("POST", port, "/job", request.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.headers["Location"];
  }
};

json config_with_key(Fixture& f, const CallbackServer& receiver, const MacKey& key) {
  json config = base_config(f.dir.path(), f.port);
  config["callbacks"]["mac"] =
      json::array({{{"scope", "127.0.0.1:" + std::to_string(receiver.port())},
                    {"id", key.id},
                    {"key", key.key},
                    {"algorithm", key.algorithm}},
                   {{"scope", "elsewhere.example:80"}, {"id", "other"}, {"key", "not-this-one"}}});
  return config;
}

TEST(RestCallbacks, EveryStateChangeIsPutWithAValidSha1Mac) {
  const MacKey key{"", "client-7", "s3cr3t 'key' $(x)", "hmac-sha-1"};
  CallbackServer receiver(key);
  Fixture f;
  f.start(config_with_key(f, receiver, key));
  const std::string location = f.submit("echo hi; exit 3\n", receiver.url("/job/myjob/status?x=1"));

  ASSERT_TRUE(eventually([&] { return receiver.done_accepted("/job/myjob/status?x=1"); },
                         std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto got = receiver.accepted("/job/myjob/status?x=1");
  std::vector<std::string> states;
  int terminal = 0;
  for (const auto& r : got) {
    EXPECT_TRUE(r.mac_ok) << r.authorization;
    EXPECT_EQ(r.authorization.rfind("MAC id=\"client-7\",ts=\"", 0), 0u) << r.authorization;
    states.push_back(r.body["status"]["state"]);
    terminal += r.body["status"]["done"] == true ? 1 : 0;
  }
  EXPECT_EQ(terminal, 1);
  EXPECT_EQ(states.back(), "DONE");
  EXPECT_EQ(got.back().body["status"]["exitCode"], 3);
  EXPECT_EQ(got.back().body, job_document(f.port, location));
  // States arrive in the order they happened (never back from RUNNING to PENDING).
  const std::vector<std::string> order = {"INITIAL", "PENDING", "RUNNING", "DONE"};
  std::size_t last = 0;
  for (const auto& s : states) {
    const auto at =
        static_cast<std::size_t>(std::find(order.begin(), order.end(), s) - order.begin());
    EXPECT_GE(at, last) << s;
    last = at;
  }
}

TEST(RestCallbacks, Sha256KeysSignWithHmacSha256) {
  const MacKey key{"", "k256", "another-key", "hmac-sha-256"};
  CallbackServer receiver(key);
  Fixture f;
  f.start(config_with_key(f, receiver, key));
  f.submit("exit 0\n", receiver.url("/cb"));
  ASSERT_TRUE(eventually(
      [&] {
        auto got = receiver.accepted("/cb");
        return !got.empty() && got.back().body["status"]["state"] == "DONE";
      },
      std::chrono::seconds(30)));
  for (const auto& r : receiver.accepted("/cb")) EXPECT_TRUE(r.mac_ok) << r.authorization;
}

TEST(RestCallbacks, UnmatchedScopeSendsNoAuthorization) {
  CallbackServer receiver;  // expects no header
  Fixture f;
  json config = base_config(f.dir.path(), f.port);
  config["callbacks"]["mac"] =
      json::array({{{"scope", "other.example:443"}, {"id", "a"}, {"key", "b"}}});
  f.start(config);
  f.submit("exit 0\n", receiver.url("/plain"));
  ASSERT_TRUE(
      eventually([&] { return receiver.done_accepted("/plain"); }, std::chrono::seconds(30)));
  for (const auto& r : receiver.accepted("/plain")) EXPECT_TRUE(r.mac_ok) << r.authorization;
}

TEST(RestCallbacks, RefusedCallbacksAreRetriedInOrderUntilAccepted) {
  const MacKey key{"", "retry", "k", "hmac-sha-1"};
  CallbackServer receiver(key, /*fail_first=*/3);
  Fixture f;
  f.start(config_with_key(f, receiver, key));
  f.submit("exit 0\n", receiver.url("/flaky"));
  ASSERT_TRUE(
      eventually([&] { return receiver.done_accepted("/flaky"); }, std::chrono::seconds(30)));
  std::size_t refused = 0;
  for (const auto& r : receiver.received()) refused += r.answered == 503 ? 1 : 0;
  EXPECT_EQ(refused, 3u);
  // Every accepted callback was retried as the same document until accepted; the
  // first refused one is the first accepted one.
  const auto all = receiver.received();
  EXPECT_EQ(all.front().body, receiver.accepted("/flaky").front().body);
  EXPECT_EQ(receiver.terminal_callbacks("/flaky"), 1);
}

TEST(RestCallbacks, CallbacksQueuedWhileTheReceiverIsDownSurviveARestart) {
  const std::uint16_t receiver_port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver_port) + "/later";
  Fixture f;
  json config = base_config(f.dir.path(), f.port);
  f.start(config);
  const std::string location = f.submit("exit 0\n", url);
  ASSERT_TRUE(eventually([&] { return job_document(f.port, location)["status"]["done"] == true; },
                         std::chrono::seconds(30)));
  f.service->kill9();
  // The receiver appears only now; the outbox delivers after the restart, once.
  CallbackServer receiver(std::nullopt, 0, receiver_port);
  ASSERT_TRUE(f.service->start(f.port)) << f.service->log();
  ASSERT_TRUE(
      eventually([&] { return receiver.done_accepted("/later"); }, std::chrono::seconds(30)))
      << f.service->log();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(receiver.terminal_callbacks("/later"), 1);
}

}  // namespace
}  // namespace cuttle::rest::testing
