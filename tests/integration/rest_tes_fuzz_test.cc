// The TES endpoints under the same bounded fuzz as joblauncher's (rest_security_test.cc):
// 10,000 malformed task documents, query strings and ids — wrong types in every field,
// truncations, byte flips, deep nesting, hostile paths and URLs — must never produce a
// 5xx or bring the service down, and every 4xx must be JSON naming a field.
// No container runtime is on the service's PATH, so the few tasks that are valid fail
// fast instead of starting thousands of containers.
#include <gtest/gtest.h>

#include <random>

#include "tests/integration/rest/fuzz_support.h"
#include "tests/integration/rest/tes_test_support.h"

namespace cuttle::rest::testing {
namespace {

class TesFuzzer {
 public:
  TesFuzzer(std::string data, std::uint32_t seed) : data_(std::move(data)), dice_(seed) {}

  json valid() const {
    return {{"name", "fuzz"},
            {"inputs",
             {{{"path", "/work/in/a.txt"}, {"content", "a"}},
              {{"path", "/work/in/b.txt"}, {"url", "file://" + data_ + "/b.txt"}}}},
            {"outputs",
             {{{"path", "/work/out/*.txt"},
               {"path_prefix", "/work/out"},
               {"url", "file://" + data_ + "/out"}}}},
            {"resources", {{"cpu_cores", 1}, {"ram_gb", 1}, {"zones", {"q"}}}},
            {"volumes", {"/work/vol"}},
            {"tags", {{"k", "v"}}},
            {"executors",
             {{{"image", "localhost/busybox:latest"},
               {"command", {"/bin/echo", "$(id)"}},
               {"env", {{"A", "b"}}},
               {"stdout", "/work/o.txt"}},
              {{"image", "localhost/busybox:latest"},
               {"command", {"cat", "/work/o.txt"}},
               {"workdir", "/work/vol"},
               {"stdin", "/work/in/a.txt"},
               {"ignore_error", true}}}}};
  }

  std::string body() {
    json base = valid();
    switch (pick(6)) {
      case 0:  // wrong type or hostile value in one field, at any depth
        dice_.somewhere(base).value() = weird_value();
        return base.dump();
      case 1:  // truncated, bytes flipped, deep nesting
        return dice_.mangled(base.dump());
      case 2:  // hostile paths and URLs
        base["inputs"][pick(2)][pick(2) ? "path" : "url"] = hostile();
        base["outputs"][0][pick(2) ? "path" : "url"] = hostile();
        return base.dump();
      case 3:  // a member removed
        dice_.somewhere(base).erase();
        return base.dump();
      case 4:
        return random_text(pick(300));
      default:
        return "{\"executors\": [{\"image\": \"\\u0000\xff\", \"command\": [\"\\ud800\"]}]}";
    }
  }

  std::string target() {
    static const std::vector<std::string> kTargets = {
        "/ga4gh/tes/v1/tasks",
        "/ga4gh/tes/v1/tasks/",
        "/ga4gh/tes/v1/tasks?page_size=-1",
        "/ga4gh/tes/v1/tasks?page_size=99999999999999999999",
        "/ga4gh/tes/v1/tasks?page_token=%ff",
        "/ga4gh/tes/v1/tasks?state=%00",
        "/ga4gh/tes/v1/tasks?view=%zz",
        "/ga4gh/tes/v1/tasks?tag_value=a",
        "/ga4gh/tes/v1/tasks?name_prefix=" + std::string(3000, 'n'),
        "/ga4gh/tes/v1/tasks/%00",
        "/ga4gh/tes/v1/tasks/..%2f..%2fetc",
        "/ga4gh/tes/v1/tasks/" + std::string(300, 'a'),
        "/ga4gh/tes/v1/tasks/:cancel",
        "/ga4gh/tes/v1/tasks/x:cancel:cancel",
        "/ga4gh/tes/v1/tasks/00000000-0000-0000-0000-000000000000:cancel",
        "/ga4gh/tes/v1/tasks/00000000-0000-0000-0000-000000000000?view=FULL",
        "/ga4gh/tes/v1/service-info",
        "/ga4gh/tes/v1/"};
    return kTargets[pick(kTargets.size())];
  }

  std::string method() {
    static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    return kMethods[pick(kMethods.size())];
  }

  std::size_t pick(std::size_t n) { return dice_.pick(n); }

 private:
  json weird_value() { return dice_.weird_value(kHostile); }
  std::string hostile() { return dice_.one_of(kHostile); }
  std::string random_text(std::size_t n) { return dice_.random_text(n); }
  inline static const std::vector<std::string> kHostile = {"..",
                                                           "/work/../etc/passwd",
                                                           "/etc/passwd",
                                                           "file:///etc/passwd",
                                                           "file://host/x",
                                                           "file:///%00",
                                                           "file:///%zz",
                                                           "http://127.0.0.1:1/x",
                                                           "http://[::1",
                                                           "s3://bucket/key",
                                                           "$(touch /tmp/pwned)",
                                                           "/work/a\nb",
                                                           "/work/*",
                                                           "/work/[",
                                                           "/work",
                                                           std::string(5000, 'a')};

  std::string data_;
  FuzzDice dice_;
};

class RestTesFuzz : public RestServiceTest {
 protected:
  RestTesFuzz() : RestServiceTest("tes-fuzz") {}
};

TEST_F(RestTesFuzz, TenThousandMalformedTasksNeverCauseA5xxOrACrash) {
  const std::string data = dir_.path() + "/data";
  fs::create_directories(data);
  write_file(data + "/b.txt", "b");
  json config = tes_config(dir_.path(), port_, "local");
  config["limits"] = {{"max_body_bytes", 65536}};
  config["tes"]["http_timeout"] = "2s";
  start_with_empty_path(dir_.path(), [&] { start(config); });

  TesFuzzer fuzz(data, 20261202);
  FuzzClient client(port_, [](int status) { return status >= 400 && status != 413; });
  for (int i = 0; i < 10000; ++i) {
    const bool submit = fuzz.pick(3) != 0;
    const std::string method = submit ? "POST" : fuzz.method();
    const std::string target = submit ? "/ga4gh/tes/v1/tasks" : fuzz.target();
    const std::string body = submit || fuzz.pick(2) ? fuzz.body() : std::string();
    client.send(method, target, body);
  }
  EXPECT_EQ(client.five_hundreds(), 0);
  EXPECT_EQ(client.unnamed_errors(), 0);
  EXPECT_GT(client.count(400) + client.count(413), 4000);
  EXPECT_GT(client.count(200), 100);  // some tasks were valid and accepted
  EXPECT_EQ(http("GET", port_, "/health").status, 200);
  EXPECT_EQ(http("GET", port_, "/ga4gh/tes/v1/tasks?page_size=5").status, 200);
}

}  // namespace
}  // namespace cuttle::rest::testing
