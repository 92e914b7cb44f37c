// The container job service's endpoints (/api/process/...) under the same bounded fuzz as
// joblauncher's, the jobs API's and TES's: 10,000 malformed job documents, hostile
// headers, job ids and paths — wrong types in every member at any depth, truncations,
// byte flips, deep nesting, members in two spellings — must never produce a 5xx or bring
// the service down, and every refusal must be JSON naming a field.
// No container runtime is on the service's PATH, so the few documents that are valid
// fail fast instead of starting thousands of containers.
#include <gtest/gtest.h>

#include <iostream>

#include "tests/integration/rest/fuzz_support.h"

namespace cuttle::rest::testing {
namespace {

const std::string kProject = "00000000-0000-0000-0000-000000000000";
const std::string kOtherProject = "11111111-1111-1111-1111-111111111111";
const std::string kKey = "fuzz-key 'x' $(y)";
const std::string kOtherKey = "other-key";

class ProcessFuzzer {
 public:
  explicit ProcessFuzzer(std::uint32_t seed) : dice_(seed) {}

  static json valid() {
    return {{"Runtime",
             {{"type", "ContainerRuntimeSpec"},
              {"Containers",
               {{{"Image", "busybox"}, {"Command", {"/bin/sh", "-c", "ls > /work/out/ls.txt"}}},
                {{"Image", "busybox"}}}}}},
            {"InputData",
             {{"Locations",
               {{{"type", "PlatformInputLocation"},
                 {"ProjectId", kProject},
                 {"LocalPath", "in"},
                 {"ExcludedFiles", {"skip.txt"}}}}}}},
            {"OutputData",
             {{"Locations",
               {{{"type", "PlatformOutputLocation"},
                 {"LocalPath", "out"},
                 {"RelativePlatformPath", "results"}}}}}},
            {"RetryLimit", "1"}};
  }

  std::string body() {
    json base = valid();
    switch (pick(7)) {
      case 0:  // wrong type or hostile value in one member, at any depth
        dice_.somewhere(base).value() = dice_.weird_value(kHostile);
        return base.dump();
      case 1:  // truncated, bytes flipped, deep nesting
        return dice_.mangled(base.dump());
      case 2:  // hostile paths in the locations
        base["InputData"]["Locations"][0][pick(2) ? "LocalPath" : "ProjectId"] = hostile();
        base["OutputData"]["Locations"][0][pick(2) ? "LocalPath" : "RelativePlatformPath"] =
            hostile();
        return base.dump();
      case 3:  // a member removed
        dice_.somewhere(base).erase();
        return base.dump();
      case 4:  // the same member in two spellings (names match case-insensitively)
        return "{\"runtime\": " + dice_.weird_value(kHostile).dump() + ", " + base.dump().substr(1);
      case 5:
        return dice_.random_text(pick(300));
      default:
        return "{\"Runtime\": {\"type\": \"\\u0000\xff\", \"Containers\": [{\"Image\": "
               "\"\\ud800\"}]}}";
    }
  }

  std::string target() {
    static const std::vector<std::string> kTargets = {
        "/api/process/job",
        "/api/process/job/",
        "/api/process/job/%00",
        "/api/process/job/..%2f..%2fetc",
        "/api/process/job/" + std::string(300, 'a'),
        "/api/process/job/x/cancel",
        "/api/process/job/x/events",
        "/api/process/job/x/events?x=%zz",
        "/api/process/job/00000000-0000-0000-0000-000000000000",
        "/api/process/job/00000000-0000-0000-0000-000000000000/cancel",
        "/api/process/job/00000000-0000-0000-0000-000000000000/events",
        "/api/process/",
        "/api/process/job/x/cancel/cancel"};
    return dice_.one_of(kTargets);
  }

  std::string method() {
    static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    return dice_.one_of(kMethods);
  }

  std::map<std::string, std::string> headers() {
    std::map<std::string, std::string> h = {{"api-version", "3"},
                                            {"dhi-service-id", "job"},
                                            {"dhi-project-id", kProject},
                                            {"dhi-open-api-key", kKey}};
    switch (pick(10)) {
      case 0:
        h["dhi-open-api-key"] = std::string(pick(2) ? 5000 : 1, 'k');
        break;
      case 1:
        h["dhi-project-id"] = hostile();
        break;
      case 2:
        h.erase(pick(2) ? "dhi-project-id" : "dhi-open-api-key");
        break;
      case 3:  // another project's key for this project
        h["dhi-open-api-key"] = kOtherKey;
        break;
      case 4:
        h["api-version"] = hostile();
        break;
      default:
        break;
    }
    return h;
  }

  std::size_t pick(std::size_t n) { return dice_.pick(n); }

 private:
  std::string hostile() { return dice_.one_of(kHostile); }

  inline static const std::vector<std::string> kHostile = {"..",
                                                           "../..",
                                                           "/etc/passwd",
                                                           "in/../../etc",
                                                           "$(touch /tmp/pwned)",
                                                           "`touch /tmp/pwned`",
                                                           "a\nb",
                                                           "a\rb",
                                                           std::string("a\0b", 3),
                                                           "*",
                                                           "~root",
                                                           "",
                                                           kOtherProject,
                                                           "../" + kProject,
                                                           std::string(5000, 'a')};
  FuzzDice dice_;
};

class RestProcessFuzz : public RestServiceTest {
 protected:
  RestProcessFuzz() : RestServiceTest("process-fuzz") {}
};

TEST_F(RestProcessFuzz, TenThousandMalformedRequestsNeverCauseA5xxOrACrash) {
  const std::string platform = dir_.path() + "/platform";
  fs::create_directories(platform + "/" + kProject + "/in");
  fs::create_directories(platform + "/" + kOtherProject);
  write_file(platform + "/" + kProject + "/in/a.txt", "a");
  json config = base_config(dir_.path(), port_);
  config["limits"] = {{"max_body_bytes", 65536}};
  config["process"] = {{"platform_root", platform},
                       {"container_runtime", "podman"},
                       {"images", {{"busybox", "localhost/busybox:latest"}}},
                       {"projects",
                        {{kProject, {{"api_keys_sha256", {sha256_hex(kKey)}}}},
                         {kOtherProject, {{"api_keys_sha256", {sha256_hex(kOtherKey)}}}}}}};
  start_with_empty_path(dir_.path(), [&] { start(config); });

  ProcessFuzzer fuzz(20261202);
  FuzzClient client(port_, [](int status) { return status >= 400 && status != 413; });
  for (int i = 0; i < 10000; ++i) {
    const bool submit = fuzz.pick(3) != 0;
    const std::string method = submit ? "POST" : fuzz.method();
    const std::string target = submit ? "/api/process/job" : fuzz.target();
    const std::string body = submit || fuzz.pick(2) ? fuzz.body() : std::string();
    client.send(method, target, body, fuzz.headers());
  }
  std::cout << "answers: 200 " << client.count(200) << ", 400 " << client.count(400) << ", 401 "
            << client.count(401) << ", 403 " << client.count(403) << ", 404 " << client.count(404)
            << ", 405 " << client.count(405) << ", 413 " << client.count(413) << "\n";
  EXPECT_EQ(client.five_hundreds(), 0);
  EXPECT_EQ(client.unnamed_errors(), 0);
  EXPECT_GT(client.count(400) + client.count(413), 3000);
  EXPECT_GT(client.count(401) + client.count(403), 300);  // keys are checked under fuzz too
  EXPECT_GT(client.count(200), 100);                      // some documents were valid
  EXPECT_FALSE(fs::exists("/tmp/pwned")) << "a value was evaluated by a shell";
  EXPECT_FALSE(fs::exists(platform + "/etc")) << "a path left its project";
  EXPECT_EQ(http("GET", port_, "/health").status, 200);
}

}  // namespace
}  // namespace cuttle::rest::testing
