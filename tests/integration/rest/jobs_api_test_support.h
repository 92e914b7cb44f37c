// Shared by the jobs API tests (rest_jobs_api_*_test.cc): a service config with two
// callers' tokens ("user", "other") and the reference's application and product, the
// reference's request bodies as its curl session sends them, and small clients for the four
// endpoints. Thread-safety: used from the test thread.
#pragma once

#include <string>

#include "bindings/rest/config.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {

inline const std::map<std::string, std::string> kUser = {{"Authorization", "Bearer tok-user"}};
inline const std::map<std::string, std::string> kOther = {{"Authorization", "Bearer tok-other"}};

// The reference's JobSpecification, byte for byte as its curl session sends it
// (examples/rest/jobs-api-create.json, which examples/rest/jobs-api.sh sends too).
inline std::string reference_create() {
  const std::string source = env("CUTTLE_SOURCE_DIR");
  EXPECT_FALSE(source.empty()) << "CUTTLE_SOURCE_DIR is not set (ctest sets it)";
  return read_file(source + "/examples/rest/jobs-api-create.json");
}

// The reference's retrieve query (its id appended).
inline const char* kReferenceRetrieve =
    "/api/jobs/retrieve?includeProduct=false&includeOthers=false&includeUpdates=false&"
    "includeSupport=false&id=";

// An application of the config: `command` run by /bin/sh -c, in `image` when given.
inline json application(const std::string& name, const std::string& command,
                        const std::string& image = {}) {
  json app = {{"name", name},
              {"version", "1.0.0"},
              {"executable", "/bin/sh"},
              {"arguments", {"-c", command}}};
  if (!image.empty()) app["image"] = image;
  return app;
}

// base_config with tokens for "user" and "other" and a jobs_api section whose product
// example-compute/example-compute/example runs on `scheduler`.
inline json jobs_api_config(const std::string& dir, std::uint16_t port, json applications,
                            const std::string& scheduler = "local") {
  json config = base_config(dir, port);
  config["auth"] = {{"tokens",
                     {{{"name", "user"}, {"sha256", sha256_hex("tok-user")}},
                      {{"name", "other"}, {"sha256", sha256_hex("tok-other")}}}}};
  config["jobs_api"] = {{"applications", std::move(applications)},
                        {"products",
                         {{{"category", "example-compute"},
                           {"id", "example-compute"},
                           {"provider", "example"},
                           {"scheduler", scheduler}}}}};
  return config;
}

// One JobSpecification item of the reference's product.
inline json specification(const std::string& application, json time_allocation, int replicas = 1) {
  return {{"application", {{"name", application}, {"version", "1.0.0"}}},
          {"product",
           {{"id", "example-compute"}, {"category", "example-compute"}, {"provider", "example"}}},
          {"replicas", replicas},
          {"timeAllocation", std::move(time_allocation)}};
}

inline json hms(int hours, int minutes, int seconds) {
  return {{"hours", hours}, {"minutes", minutes}, {"seconds", seconds}};
}

// POST /api/jobs of one item; the new id ("" and a test failure when refused).
inline std::string create_job(std::uint16_t port, const json& item,
                              const std::map<std::string, std::string>& caller = kUser) {
  auto r = http("POST", port, "/api/jobs", json{{"items", {item}}}.dump(), caller);
  EXPECT_EQ(r.status, 200) << r.body;
  const json body = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !body.contains("responses")) return {};
  return body["responses"][0].value("id", "");
}

inline HttpResult retrieve(std::uint16_t port, const std::string& id,
                           const std::map<std::string, std::string>& caller = kUser) {
  return http("GET", port, std::string(kReferenceRetrieve) + id, {}, caller);
}

// The Job, or null when the retrieve was not a 200.
inline json job_of(std::uint16_t port, const std::string& id) {
  auto r = retrieve(port, id);
  return r.status == 200 ? json::parse(r.body) : json();
}

inline bool wait_job_state(std::uint16_t port, const std::string& id, const std::string& state,
                           std::chrono::seconds limit = std::chrono::seconds(60)) {
  return eventually([&] { return job_of(port, id)["status"]["state"] == state; }, limit);
}

inline HttpResult post_items(std::uint16_t port, const std::string& path, json items,
                             const std::map<std::string, std::string>& caller = kUser) {
  return http("POST", port, path, json{{"items", std::move(items)}}.dump(), caller);
}

}  // namespace cuttle::rest::testing
