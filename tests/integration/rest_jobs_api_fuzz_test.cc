// Hostile input on the jobs API's endpoints (the 10,000-case fuzz of rest_security_test.cc,
// aimed at /api/jobs, /api/jobs/retrieve, /api/jobs/extend and /api/jobs/terminate): wrong
// types in every member, truncated and flipped bodies, deep nesting, unknown members,
// invalid UTF-8, oversized bulk requests, hostile query strings, other callers' and
// made-up ids. Never a 5xx, every error a JSON body naming the field, and the service
// still answers afterwards.
#include <gtest/gtest.h>

#include <random>

#include "tests/integration/rest/fuzz_support.h"
#include "tests/integration/rest/jobs_api_test_support.h"

namespace cuttle::rest::testing {
namespace {

class JobsApiFuzzer {
 public:
  JobsApiFuzzer(std::vector<std::string> ids, std::uint32_t seed)
      : ids_(std::move(ids)), rng_(seed) {}

  struct Request {
    std::string method;
    std::string target;
    std::string body;
    std::map<std::string, std::string> headers;
  };

  Request next() {
    Request r;
    r.headers = pick(10) == 0 ? (pick(2) ? kOther : std::map<std::string, std::string>{}) : kUser;
    switch (pick(10)) {
      case 0:
      case 1:
      case 2:
        r = {"POST", "/api/jobs", create_body(), r.headers};
        break;
      case 3:
      case 4:
        r = {"POST", "/api/jobs/extend", extend_body(), r.headers};
        break;
      case 5:
        r = {"POST", "/api/jobs/terminate", terminate_body(), r.headers};
        break;
      case 6:
      case 7:
        r = {"GET", "/api/jobs/retrieve?" + query(), "", r.headers};
        break;
      case 8:
        r = {method(), odd_target(), pick(2) ? create_body() : "", r.headers};
        break;
      default:
        r = {"POST", pick(2) ? "/api/jobs" : "/api/jobs/extend", mangle(create_body()), r.headers};
        break;
    }
    return r;
  }

  std::size_t pick(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

 private:
  json valid_item() { return specification("true", hms(0, 1, 0)); }

  // A create body whose item has one member (or a nested one) replaced by a weird value,
  // or several items, or too many.
  std::string create_body() {
    json item = valid_item();
    static const std::vector<std::vector<std::string>> kPaths = {{"application"},
                                                                 {"application", "name"},
                                                                 {"application", "version"},
                                                                 {"product"},
                                                                 {"product", "id"},
                                                                 {"product", "category"},
                                                                 {"product", "provider"},
                                                                 {"replicas"},
                                                                 {"timeAllocation"},
                                                                 {"timeAllocation", "hours"},
                                                                 {"timeAllocation", "minutes"},
                                                                 {"timeAllocation", "seconds"},
                                                                 {"name"},
                                                                 {"allowDuplicateJob"},
                                                                 {"parameters"},
                                                                 {"resources"},
                                                                 {"openedFile"},
                                                                 {"restartOnExit"},
                                                                 {"sshEnabled"},
                                                                 {random_text(8)}};
    const auto& path = kPaths[pick(kPaths.size())];
    if (path.size() == 1) {
      item[path[0]] = weird_value();
    } else {
      item[path[0]][path[1]] = weird_value();
    }
    json items = json::array({item});
    switch (pick(6)) {
      case 0:
        items.push_back(valid_item()["product"]);  // an item that is not a specification
        break;
      case 1:
        items = json::array();
        for (int i = 0; i < 101; ++i) items.push_back(item);  // over jobs_api.max_items
        break;
      default:
        break;
    }
    return json{{"items", items}}.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  std::string extend_body() {
    json item = {{"jobId", some_id()}, {"requestedTime", hms(0, 1, 0)}};
    switch (pick(4)) {
      case 0:
        item["jobId"] = weird_value();
        break;
      case 1:
        item["requestedTime"] = weird_value();
        break;
      case 2:
        item["requestedTime"][pick(2) ? "hours" : "seconds"] = weird_value();
        break;
      default:
        item[random_text(4)] = 1;
        break;
    }
    return json{{"items", {item}}}.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  std::string terminate_body() {
    json item = {{"id", pick(3) ? weird_value() : json(some_id())}};
    if (pick(4) == 0) item[random_text(3)] = nullptr;
    return json{{"items", {item}}}.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  std::string query() {
    static const std::vector<std::string> kKeys = {"id",
                                                   "includeProduct",
                                                   "includeOthers",
                                                   "includeUpdates",
                                                   "includeSupport",
                                                   "includeApplication",
                                                   "includeParameters",
                                                   "filterState",
                                                   "filterCreatedAfter",
                                                   "filterCreatedBefore",
                                                   "filterIds",
                                                   "filterCreatedBy",
                                                   "hideProvider",
                                                   "%zz",
                                                   "id%00",
                                                   ""};
    static const std::vector<std::string> kValues = {"true",
                                                     "false",
                                                     "null",
                                                     "",
                                                     "RUNNING",
                                                     "-1",
                                                     "99999999999999999999",
                                                     "%ff%fe",
                                                     "%00",
                                                     "a,b,,",
                                                     "../../etc/passwd",
                                                     "00000000-0000-0000-0000-000000000000"};
    std::string q = "id=" + some_id();
    for (std::size_t i = 0, n = pick(4); i < n; ++i) {
      q += "&" + kKeys[pick(kKeys.size())] + "=" +
           (pick(3) ? kValues[pick(kValues.size())] : some_id());
    }
    return q;
  }

  std::string odd_target() {
    static const std::vector<std::string> kTargets = {"/api/jobs",
                                                      "/api/jobs/",
                                                      "/api/jobs/retrieve",
                                                      "/api/jobs/retrieve/x",
                                                      "/api/jobs/extend?%zz",
                                                      "/api/jobs/terminate/../../job",
                                                      "/api/%00",
                                                      "/api/jobs?items=1",
                                                      "/api/jobs/" + std::string(300, 'a')};
    return kTargets[pick(kTargets.size())];
  }

  std::string method() {
    static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    return kMethods[pick(kMethods.size())];
  }

  std::string mangle(std::string text) {
    switch (pick(4)) {
      case 0:
        return text.substr(0, pick(text.size()));
      case 1:
        for (int i = 0, n = 1 + static_cast<int>(pick(8)); i < n; ++i) {
          text[pick(text.size())] = static_cast<char>(pick(256));
        }
        return text;
      case 2:
        return std::string(pick(2) ? 40 : 5000, '[');
      default:
        return "{\"items\": [{\"application\": {\"name\": \"\xff\xfe\", \"version\": "
               "\"\\ud800\"}}]}";
    }
  }

  std::string some_id() {
    return ids_.empty() || pick(3) == 0 ? random_text(pick(40)) : ids_[pick(ids_.size())];
  }

  json weird_value() {
    switch (const std::size_t kind = pick(kWeirdValueKinds + 4)) {
      case kWeirdValueKinds:
        return "$(touch /tmp/pwned)";
      case kWeirdValueKinds + 1:
        return true;
      case kWeirdValueKinds + 2:
        return std::numeric_limits<std::int64_t>::max();
      case kWeirdValueKinds + 3:
        return random_text(pick(20));
      default:
        return ::cuttle::rest::testing::weird_value(kind);
    }
  }

  std::string random_text(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<char>(pick(256));
    return s;
  }

  std::vector<std::string> ids_;
  std::mt19937 rng_;
};

class JobsApiFuzz : public RestServiceTest {
 protected:
  JobsApiFuzz() : RestServiceTest("jobs-api-fuzz") {}
};

TEST_F(JobsApiFuzz, TenThousandHostileRequestsNeverCauseA5xxAndNameTheField) {
  json config = jobs_api_config(
      dir_.path(), port_, {application("true", "exit 0"), application("sleeper", "sleep 600")});
  config["limits"] = {{"max_body_bytes", 65536}};
  start(config);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(create_job(port_, specification("sleeper", hms(0, 5, 0))));
  JobsApiFuzzer fuzz(ids, 20261202);
  // 207: some items failed, and the body names the first failure's field.
  FuzzClient client(port_, [](int status) { return status >= 400 || status == 207; });
  for (int i = 0; i < 10000; ++i) {
    const auto request = fuzz.next();
    client.send(request.method, request.target, request.body, request.headers);
  }
  EXPECT_EQ(client.five_hundreds(), 0);
  EXPECT_EQ(client.unnamed_errors(), 0);
  EXPECT_GT(client.count(400) + client.count(404) + client.count(413), 5000);
  std::printf("200: %d, 207: %d, 400: %d, 401: %d, 404: %d, 405: %d, 409: %d, 413: %d\n",
              client.count(200), client.count(207), client.count(400), client.count(401),
              client.count(404), client.count(405), client.count(409), client.count(413));
  EXPECT_EQ(http("GET", port_, "/health").status, 200);
  EXPECT_FALSE(fs::exists("/tmp/pwned"));
  for (const auto& id : ids) post_items(port_, "/api/jobs/terminate", {{{"id", id}}});
  auto r = http("GET", port_, "/job?state=INITIAL,PENDING,RUNNING", {}, kUser);
  ASSERT_EQ(r.status, 200);
  for (const auto& url : json::parse(r.body)) {
    const std::string location = url.get<std::string>();
    http("PUT", port_, location.substr(location.find("/job/")) + "/cancel", {}, kUser);
  }
}

}  // namespace
}  // namespace cuttle::rest::testing
