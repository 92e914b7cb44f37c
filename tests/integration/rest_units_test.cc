// In-process checks of the REST service's pure pieces: the MAC signature against vectors
// computed independently (Python's hmac module), the state mapping onto the reference's
// words, URL and config parsing.
#include <gtest/gtest.h>

#include <filesystem>

#include "bindings/rest/config.h"
#include "bindings/rest/job_request.h"
#include "bindings/rest/mac_auth.h"
#include "bindings/rest/status_document.h"
#include "cuttle/error.h"
#include "tests/unit/test_util.h"

namespace cuttle::rest {
namespace {

// python3: base64.b64encode(hmac.new(b'489dks293j39', text.encode(), hashlib.sha1).digest())
constexpr const char* kText =
    "1336363200\ndj83hs9s\nPUT\n/job/myjob/status?x=1\nexample.com\n80\n\n";

TEST(RestMac, NormalizedStringIsTsNonceMethodPathHostPortAndAnEmptyExt) {
  EXPECT_EQ(mac_normalized_string("1336363200", "dj83hs9s", "PUT", "/job/myjob/status?x=1",
                                  "example.com", 80),
            kText);
}

TEST(RestMac, SignaturesMatchAnIndependentHmac) {
  EXPECT_EQ(mac_sign("hmac-sha-1", "489dks293j39", kText), "4D7Xbdyxmv7KxJuAntMMwF0AfDI=");
  EXPECT_EQ(mac_sign("hmac-sha-256", "489dks293j39", kText),
            "nJLfyBZ28iVYLzIVMG+71wgbD5rbU6Per8KaCPUdOxU=");
}

TEST(RestMac, HeaderCarriesIdTsNonceAndMacAndParsesBack) {
  const MacKey key{"example.com:80", "h480djs93hd8", "489dks293j39", "hmac-sha-1"};
  const std::string header = mac_authorization(key, "PUT", "/job/myjob/status?x=1", "example.com",
                                               80, 1336363200, "dj83hs9s");
  EXPECT_EQ(header,
            "MAC id=\"h480djs93hd8\",ts=\"1336363200\",nonce=\"dj83hs9s\","
            "mac=\"4D7Xbdyxmv7KxJuAntMMwF0AfDI=\"");
  auto fields = parse_mac_header(header);
  ASSERT_TRUE(fields);
  EXPECT_EQ((*fields)["mac"], "4D7Xbdyxmv7KxJuAntMMwF0AfDI=");
  EXPECT_FALSE(parse_mac_header("Bearer x"));
  EXPECT_FALSE(parse_mac_header("MAC id=\"a\""));
  EXPECT_NE(make_nonce(), make_nonce());
}

TEST(RestMac, KeysAreChosenByHostAndPortWithAWildcardFallback) {
  const std::vector<MacKey> keys = {{"*", "any", "k0", "hmac-sha-1"},
                                    {"Portal.Example:443", "portal", "k1", "hmac-sha-256"},
                                    {"portal.example:80", "plain", "k2", "hmac-sha-1"}};
  EXPECT_EQ(find_mac_key(keys, "portal.example", 443)->id, "portal");
  EXPECT_EQ(find_mac_key(keys, "PORTAL.example", 80)->id, "plain");
  EXPECT_EQ(find_mac_key(keys, "other", 443)->id, "any");
  EXPECT_EQ(find_mac_key({keys[1]}, "other", 443), nullptr);
}

JobStatus status_in(JobState state, std::optional<int> exit_code = std::nullopt) {
  JobStatus s;
  s.state = state;
  s.exit_code = exit_code;
  return s;
}

TEST(RestStates, CuttleStatesMapOntoTheReferenceWords) {
  EXPECT_EQ(reference_state(status_in(JobState::kNew)), "INITIAL");
  EXPECT_EQ(reference_state(status_in(JobState::kStagingIn)), "PENDING");
  EXPECT_EQ(reference_state(status_in(JobState::kQueued)), "PENDING");
  EXPECT_EQ(reference_state(status_in(JobState::kRunning)), "RUNNING");
  EXPECT_EQ(reference_state(status_in(JobState::kStagingOut)), "RUNNING");
  EXPECT_EQ(reference_state(status_in(JobState::kCompleted, 0)), "DONE");
  EXPECT_EQ(reference_state(status_in(JobState::kFailed, 3)), "DONE");
  EXPECT_EQ(reference_state(status_in(JobState::kFailed)), "ERROR");
  EXPECT_EQ(reference_state(status_in(JobState::kCancelled)), "KILLED");
  EXPECT_EQ(reference_state(status_in(JobState::kExpired)), "KILLED");
  EXPECT_EQ(reference_state(status_in(JobState::kError)), "ERROR");
}

TEST(RestStates, StatusHasExactlyTheSixContractMembers) {
  const auto j = status_to_json(status_in(JobState::kCancelled), "local", "b1");
  EXPECT_EQ(j.size(), 6u);
  EXPECT_EQ(j["exception"], "Process cancelled by user.");
  EXPECT_EQ(j["running"], false);
  EXPECT_EQ(j["done"], true);
  EXPECT_TRUE(j["exitCode"].is_null());
  EXPECT_EQ(j["schedulerSpecficInformation"]["cuttle.state"], "Cancelled");
  auto running = status_to_json(status_in(JobState::kRunning), "local", "b1");
  EXPECT_EQ(running["running"], true);
  EXPECT_TRUE(running["exception"].is_null());
  JobStatus error = status_in(JobState::kError);
  error.error = "submit failed: boom";
  EXPECT_EQ(status_to_json(error, "", "")["exception"], "submit failed: boom");
}

TEST(RestUrls, OnlyAbsoluteHttpUrlsWithAHostAreAccepted) {
  auto u = parse_http_url("http://localhost/job/myjob/status");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path_and_query, "/job/myjob/status");
  u = parse_http_url("https://[::1]:8443?a=b#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path_and_query, "/?a=b");
  for (const char* bad : {"ftp://x/", "http://", "http://:80/", "http://a:0/", "http://a:99999/",
                          "http://user@host/", "http://a b/", "http://a\n/", "localhost/x", ""}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

TEST(RestRequest, NestingIsMeasuredOutsideStrings) {
  EXPECT_TRUE(json_depth_within("{\"a\": \"[[[[[[[[\"}", 2));
  EXPECT_FALSE(json_depth_within("[[[1]]]", 2));
  EXPECT_TRUE(json_depth_within("[[1],[2],[3]]", 2));
  EXPECT_TRUE(json_depth_within("{\"a\\\"[[[\": 1}", 1));
}

TEST(RestRequest, AnEmptyUnknownFieldNameIsStillNamed) {
  Config config;
  config.job_roots = {"/tmp"};
  try {
    parse_job_request(R"({"": 1, "jobdir": "/tmp", "executable": "true"})", config);
    FAIL() << "an empty field name was accepted";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.field(), "\"\"");
    EXPECT_EQ(e.reason(), "unknown field");
  }
}

TEST(RestRequest, AContractsTranslationIsStoredAndReadBackButNotEchoed) {
  JobRequest request;
  request.contract = "tes";
  request.contract_document = {{"name", "t1"}, {"executors", 2}};
  JobDescription d;
  d.executable = "/bin/echo";
  d.arguments = {"a b", "$(x)"};
  d.container_image = "localhost/busybox:latest";
  d.max_runtime = std::chrono::seconds(90);
  request.description = d;

  nlohmann::json stored = request_to_stored_json(request);
  JobRequest back = request_from_json(nlohmann::json::parse(stored.dump()));
  EXPECT_EQ(back.contract, "tes");
  EXPECT_EQ(back.contract_document, request.contract_document);
  ASSERT_TRUE(back.description);
  EXPECT_EQ(to_job_description(back, "id-1").executable, "/bin/echo");
  EXPECT_EQ(to_job_description(back, "id-1").arguments, d.arguments);
  EXPECT_EQ(to_job_description(back, "id-1").container_image, d.container_image);
  EXPECT_EQ(to_job_description(back, "id-1").name, "id-1");

  strip_internal(stored);
  EXPECT_EQ(stored, request_to_json(request));
  EXPECT_EQ(stored["contract"]["name"], "tes");
  EXPECT_FALSE(stored.contains("contract_description"));
  EXPECT_FALSE(stored.contains("resolved_jobdir"));
}

TEST(RestRequest, AJoblauncherRequestHasNoContractMember) {
  JobRequest request;
  request.executable = "/bin/true";
  EXPECT_FALSE(request_to_json(request).contains("contract"));
  EXPECT_FALSE(request_from_json(request_to_stored_json(request)).description);
}

// jobdir_roots are resolved when the service starts (JobService fills resolved_job_roots),
// not per request: a root's symlink re-pointed later does not move the root, and a root
// that did not exist at the start is resolved per request once it does.
TEST(RestRequest, JobdirRootsAreTheOnesResolvedAtTheStart) {
  namespace fs = std::filesystem;
  cuttle::testing::TempDir dir;
  fs::create_directories(dir.path() + "/a/x");
  fs::create_directories(dir.path() + "/b/y");
  fs::create_directory_symlink(dir.path() + "/a", dir.path() + "/root");
  Config config;
  config.job_roots = {dir.path() + "/root", dir.path() + "/later"};
  config.resolved_job_roots = resolved_roots(config.job_roots);
  ASSERT_EQ(config.resolved_job_roots.size(), 2u);
  EXPECT_EQ(config.resolved_job_roots[0], fs::canonical(dir.path() + "/a").string());
  EXPECT_EQ(config.resolved_job_roots[1], "");

  fs::remove(dir.path() + "/root");
  fs::create_directory_symlink(dir.path() + "/b", dir.path() + "/root");
  const auto post = [&](const std::string& jobdir) {
    return parse_job_request(nlohmann::json{{"jobdir", jobdir}, {"executable", "/bin/true"}}.dump(),
                             config);
  };
  EXPECT_EQ(post(dir.path() + "/a/x").resolved_jobdir, fs::canonical(dir.path() + "/a/x").string());
  try {
    post(dir.path() + "/root/y");
    FAIL() << "a jobdir under the root's new target was accepted";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.status(), 403);
    EXPECT_EQ(e.field(), "jobdir");
  }
  fs::create_directories(dir.path() + "/later/z");
  EXPECT_EQ(post(dir.path() + "/later/z").resolved_jobdir,
            fs::canonical(dir.path() + "/later/z").string());
}

// Issue 14: the resource fields of POST /job reach the JobDescription, and survive the
// stored request (request_to_json / request_from_json) a restarted service reads back.
TEST(RestRequest, ResourceFieldsReachTheDescriptionAndSurviveTheStore) {
  Config config;
  config.job_roots = {"/tmp"};
  const JobRequest r = parse_job_request(
      R"({"jobdir": "/tmp", "executable": "true", "gpus": 2, "gpu_type": "a100",
          "account": "chem42", "qos": "high", "reservation": "r1",
          "constraints": ["ssd", "ib"], "exclusive_nodes": true})",
      config);
  const JobRequest back = request_from_json(request_to_json(r));
  for (const JobRequest* request : {&r, &back}) {
    const JobDescription d = to_job_description(*request, "id");
    EXPECT_EQ(d.gpus, 2);
    EXPECT_EQ(d.gpu_type, "a100");
    EXPECT_EQ(d.account, "chem42");
    EXPECT_EQ(d.qos, "high");
    EXPECT_EQ(d.reservation, "r1");
    EXPECT_EQ(d.constraints, (std::vector<std::string>{"ssd", "ib"}));
    EXPECT_TRUE(d.exclusive_nodes);
  }
  const JobDescription none =
      to_job_description(request_from_json(request_to_json(parse_job_request(
                             R"({"jobdir": "/tmp", "executable": "true"})", config))),
                         "id");
  EXPECT_FALSE(none.gpus.has_value());
  EXPECT_FALSE(none.exclusive_nodes);
  EXPECT_TRUE(none.constraints.empty());
}

// Issue 14 part 4 (docs/launchers.md): the launch fields of POST /job reach the description
// and the store; a bad one is refused naming the field.
TEST(RestRequest, LaunchFieldsReachTheDescriptionAndSurviveTheStore) {
  Config config;
  config.job_roots = {"/tmp"};
  const JobRequest r = parse_job_request(
      R"({"jobdir": "/tmp", "executable": "true", "launcher": "srun",
          "pre_launch": "/opt/pre.sh", "post_launch": "post.sh", "modules": ["gcc/12"],
          "inherit_environment": false})",
      config);
  const JobRequest back = request_from_json(request_to_json(r));
  for (const JobRequest* request : {&r, &back}) {
    const JobDescription d = to_job_description(*request, "id");
    EXPECT_EQ(d.launcher, "srun");
    EXPECT_EQ(d.pre_launch, "/opt/pre.sh");
    EXPECT_EQ(d.post_launch, "post.sh");
    EXPECT_EQ(d.modules, (std::vector<std::string>{"gcc/12"}));
    EXPECT_FALSE(d.inherit_environment);
  }
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"("launcher": "aprun")", "launcher"},
           {R"("modules": "gcc")", "modules"},
           {R"("modules": ["-f"])", "modules[0]"},
           {R"("inherit_environment": "no")", "inherit_environment"}}) {
    try {
      parse_job_request(R"({"jobdir": "/tmp", "executable": "true", )" + body + "}", config);
      ADD_FAILURE() << body << " was accepted";
    } catch (const RequestError& e) {
      EXPECT_EQ(e.field(), field) << body;
    }
  }
}

// Issue 14 part 1: an array spec in POST /job reaches the description and the store; a
// bad one, or one with a shared stdout, is refused naming the field.
TEST(RestRequest, ArraySpecReachesTheDescriptionAndBadOnesAreRefusedByName) {
  Config config;
  config.job_roots = {"/tmp"};
  const JobRequest r =
      parse_job_request(R"({"jobdir": "/tmp", "executable": "true", "array": "0-99%5"})", config);
  const JobDescription d = to_job_description(request_from_json(request_to_json(r)), "id");
  ASSERT_TRUE(d.array.has_value());
  EXPECT_EQ(*d.array, (ArraySpec{0, 99, 1, 5}));
  for (const auto& [extra, field] :
       {std::pair{R"("array": "9-2")", "array"}, std::pair{R"("array": 5)", "array"},
        std::pair{R"("array": "4", "stdout": "out.txt")", "stdout_path"}}) {
    const std::string body =
        std::string(R"({"jobdir": "/tmp", "executable": "true", )") + extra + "}";
    try {
      to_job_description(parse_job_request(body, config), "id").validate();
      ADD_FAILURE() << body << " was accepted";
    } catch (const RequestError& e) {
      EXPECT_EQ(e.field(), field) << body;
    } catch (const InvalidJobDescription& e) {
      EXPECT_EQ(e.field(), field) << body;
    }
  }
}

// What the fuzzer (tests/fuzz/fuzz_job_request.cc) asks of every body, for odd resource
// values: refused naming a field, or accepted with an echo that reads back to itself.
TEST(RestRequest, OddResourceValuesAreRefusedByNameOrEchoStably) {
  Config config;
  config.job_roots = {"/tmp"};
  for (const char* extra :
       {R"("gpus": 2.5)", R"("gpus": 1e12)", R"("gpus": -1)", R"("gpus": "2")", R"("gpus": null)",
        R"("constraints": [1])", R"("constraints": "ssd")", R"("exclusive_nodes": null)",
        R"("exclusive_nodes": 1)", R"("gpu_type": "a100")", R"("account": "")",
        R"("qos": "\u0000")", R"("reservation": ["r"])"}) {
    const std::string body =
        std::string(R"({"jobdir": "/tmp", "executable": "true", )") + extra + "}";
    try {
      const JobRequest r = parse_job_request(body, config);
      const nlohmann::json echoed = request_to_json(r);
      EXPECT_EQ(request_to_json(request_from_json(echoed)), echoed) << body;
    } catch (const RequestError& e) {
      EXPECT_FALSE(e.field().empty()) << body;
    }
  }
}

TEST(RestConfig, UnknownKeysAndBadValuesAreNamed) {
  try {
    parse_config("{\"listen\": \"127.0.0.1:9998\", \"lissen\": 1}", "test.json");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("lissen"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_config("{\"listen\": \"127.0.0.1:99999\"}", "t"), InvalidArgument);
  EXPECT_THROW(parse_config("{\"poll_interval\": \"soon\"}", "t"), InvalidArgument);
  EXPECT_THROW(parse_config("{\"auth\": {\"tokens\": [{\"sha256\": \"abc\"}]}}", "t"),
               InvalidArgument);
  EXPECT_THROW(parse_config("not json", "t"), InvalidArgument);
}

// The message names the key, so a wrong lease or store setting is found in the file.
void expect_named(const std::string& config, const std::string& key) {
  try {
    parse_config(config, "t");
    ADD_FAILURE() << "accepted: " << config;
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(RestConfig, LeaseStoreAndSharedSettingsAreCheckedAndNamed) {
  expect_named(R"({"lease": {"ttl": "0s"}})", "lease.ttl");
  expect_named(R"j({"lease": {"ttl": "$(reboot)"}})j", "lease.ttl");
  expect_named(R"({"lease": {"ttl": "10s", "check_interval": "1m"}})", "lease.check_interval");
  expect_named(R"({"lease": {"tll": "10s"}})", "tll");
  expect_named(R"({"store": {"kind": "postgresql", "connection": "x", "pool_size": 0}})",
               "store.pool_size");
  expect_named(R"({"store": {"max_held_changes": -1}})", "store.max_held_changes");
  expect_named(R"({"schedulers": {"s": {"location": "slurm://", "shared": "yes"}}})", "shared");
  const Config c = parse_config(
      R"({"lease": {"ttl": "45s", "check_interval": "3s"}, "schedulers": {"l": {"location":
      "local://"}, "s": {"location": "slurm://"}, "k": {"location": "local://", "shared": true}}})",
      "t");
  EXPECT_EQ(c.lease.ttl, std::chrono::seconds(45));
  EXPECT_EQ(c.lease.check_interval, std::chrono::seconds(3));
  EXPECT_FALSE(c.find_scheduler("l")->is_shared());  // only its own instance reaches it
  EXPECT_TRUE(c.find_scheduler("s")->is_shared());
  EXPECT_TRUE(c.find_scheduler("k")->is_shared());
}

TEST(RestConfig, TheEmbeddedDefaultIsLoopbackLocalDetachedSqliteWithoutTokens) {
  const Config c = default_config();
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 9998);
  ASSERT_EQ(c.schedulers.size(), 1u);
  EXPECT_EQ(c.schedulers[0].location, "local://");
  EXPECT_EQ(c.schedulers[0].options.properties.at("mode"), "detached");
  EXPECT_EQ(c.store.kind, "sqlite");
  EXPECT_TRUE(c.tokens_disabled);
  EXPECT_TRUE(c.listens_on_loopback());
  EXPECT_NO_THROW(validate(c));
  const Config file = parse_config("{\"listen\": \"0.0.0.0:80\"}", "t");
  EXPECT_FALSE(file.tokens_disabled);  // a config file without "auth" requires tokens
  EXPECT_THROW(validate(file), InvalidArgument);
  EXPECT_EQ(sha256_hex("tok-alpha"),
            "e11361fb9f6d4b928dbae73fe5f088492963bf15f51bd2ccb03419e0f029c061");
}

}  // namespace
}  // namespace cuttle::rest
