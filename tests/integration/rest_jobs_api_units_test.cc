// In-process checks of the jobs API's pure pieces: the Job's state word and `updates`
// replayed from journals (one copy and several), expiresAt from the deadline, the
// specification's translation into a JobRequest, durations, and the config section.
#include <gtest/gtest.h>

#include "bindings/rest/config.h"
#include "bindings/rest/jobs_api_document.h"
#include "bindings/rest/jobs_api_spec.h"
#include "cuttle/error.h"

namespace cuttle::rest::jobs_api {
namespace {

using nlohmann::json;

Config config_with_jobs_api() {
  return parse_config(R"({
    "auth": {"disable_tokens": true},
    "jobs_api": {
      "applications": [{"name": "app", "version": "1", "image": "localhost/busybox:latest",
                        "executable": "/bin/sh", "arguments": ["-c", "sleep 1"],
                        "environment": {"MODE": "x"}}],
      "products": [{"category": "c", "id": "p", "provider": "me", "scheduler": "local",
                    "queue": "long"}]
    }})",
                      "test");
}

json item(int replicas = 1) {
  return {{"application", {{"name", "app"}, {"version", "1"}}},
          {"product", {{"category", "c"}, {"id", "p"}, {"provider", "me"}}},
          {"replicas", replicas},
          {"timeAllocation", {{"hours", 1}, {"minutes", 2}, {"seconds", 3}}}};
}

// A stored status document of a jobs-api copy.
json document(int replica, const json& info = json::object()) {
  return {{"request",
           {{"contract",
             {{"name", "jobs-api"},
              {"document",
               {{"owner", owner_json("user")},
                {"specification", item()},
                {"replica", replica},
                {"replicaIds", json::array()}}}}}}},
          {"status", {{"schedulerSpecficInformation", info}}}};
}

EventRow event(std::int64_t time, const char* state) { return {0, "", time, state, "{}"}; }

TEST(JobsApiSpec, ASpecificationBecomesOneContractRequestPerCopy) {
  const Config config = config_with_jobs_api();
  const auto spec = parse_specification(item(2), config);
  EXPECT_EQ(spec.replicas, 2);
  EXPECT_EQ(spec.time_allocation, std::chrono::seconds(3723));
  // The echo has every member of the reference, null where not sent.
  EXPECT_TRUE(spec.echo["sshEnabled"].is_null());
  EXPECT_EQ(spec.echo.size(), 11u);
  const JobRequest r = replica_request(spec, "user", 1);
  EXPECT_EQ(r.contract, "jobs-api");
  EXPECT_EQ(r.scheduler, "local");
  EXPECT_EQ(r.queue, "long");
  ASSERT_TRUE(r.description);
  EXPECT_EQ(r.description->executable, "/bin/sh");
  EXPECT_EQ(r.description->arguments, (std::vector<std::string>{"-c", "sleep 1"}));
  EXPECT_EQ(r.description->container_image, "localhost/busybox:latest");
  EXPECT_EQ(r.description->max_runtime, std::chrono::seconds(3723));
  EXPECT_EQ(r.description->queue, "long");
  EXPECT_EQ(r.description->environment.at("CUTTLE_REPLICA"), "1");
  EXPECT_EQ(r.description->environment.at("CUTTLE_REPLICAS"), "2");
  EXPECT_EQ(r.description->environment.at("MODE"), "x");
  EXPECT_EQ(r.contract_document["owner"]["createdBy"], "user");
  EXPECT_EQ(r.contract_document["replica"], 1);
  EXPECT_EQ(r.contract_document["resolvedProduct"]["scheduler"], "local");
}

TEST(JobsApiSpec, DurationsAreWholeNonNegativeMembersBetweenOneSecondAnd366Days) {
  EXPECT_EQ(parse_simple_duration({{"minutes", 90}}, "t"), std::chrono::seconds(5400));
  for (const json& bad : {json{{"hours", 0}}, json{{"hours", -1}}, json{{"hours", 8785}},
                          json{{"seconds", 0.5}}, json{{"days", 1}}, json("1h"), json()}) {
    EXPECT_THROW(parse_simple_duration(bad, "t"), RequestError) << bad;
  }
  try {
    parse_simple_duration({{"minutes", "5"}}, "requestedTime");
    FAIL();
  } catch (const RequestError& e) {
    EXPECT_EQ(e.field(), "requestedTime.minutes");
  }
}

TEST(JobsApiSpec, TheConfigSectionIsCheckedKeyByKey) {
  EXPECT_THROW(
      parse_config(R"({"jobs_api": {"applications": [{"name": "a", "version": "1"}]}})", "t"),
      InvalidArgument);  // no executable
  EXPECT_THROW(parse_config(R"({"jobs_api": {"products": [{"category": "c", "id": "p",
                                 "provider": "me"}]}})",
                            "t"),
               InvalidArgument);  // no scheduler
  EXPECT_THROW(parse_config(R"({"jobs_api": {"bogus": 1}})", "t"), InvalidArgument);
  Config config = parse_config(R"({"auth": {"disable_tokens": true}, "jobs_api": {"products": [
      {"category": "c", "id": "p", "provider": "me", "scheduler": "nowhere"}]}})",
                               "t");
  EXPECT_THROW(validate(config), InvalidArgument);  // no scheduler of that name
}

TEST(JobsApiDocument, TheHistoryHasOneUpdatePerChangeOfTheStateWord) {
  Replica copy{document(0, {{"cuttle.started", "2026-12-02T08:00:01.500Z"},
                            {"cuttle.deadline", "2026-12-02T09:00:01.500Z"}}),
               {event(1000, "New"), event(1100, "Queued"), event(1500, "Running"),
                event(2000, "Running")}};  // the last: an extension, not a new state
  json job = render_job("j", {copy}, {});
  ASSERT_EQ(job["updates"].size(), 2u) << job;
  EXPECT_EQ(job["updates"][0]["state"], "IN_QUEUE");
  EXPECT_EQ(job["updates"][0]["timestamp"], 1000);
  EXPECT_EQ(job["updates"][1]["state"], "RUNNING");
  EXPECT_EQ(job["updates"][1]["timestamp"], 1500);
  EXPECT_EQ(job["createdAt"], 1000);
  EXPECT_EQ(job["status"]["state"], "RUNNING");
  EXPECT_EQ(job["status"]["startedAt"], 1796198401500);
  EXPECT_EQ(job["status"]["expiresAt"], 1796202001500);

  // The start as first recorded stays the job's, whatever later observations say.
  copy.events[2].status =
      json{{"schedulerSpecficInformation", {{"cuttle.started", "2026-12-02T08:00:01.400Z"}}}}
          .dump();
  EXPECT_EQ(render_job("j", {copy}, {})["status"]["startedAt"], 1796198401400);
  copy.events.push_back(event(3000, "Cancelled"));
  job = render_job("j", {copy}, {});
  EXPECT_EQ(job["status"]["state"], "SUCCESS");
  EXPECT_TRUE(job["status"]["expiresAt"].is_null());  // a finished job expires no more
  EXPECT_EQ(job["updates"].back()["status"], "Your job has been cancelled!");
}

TEST(JobsApiDocument, CopiesReadAsOneJob) {
  Replica first{document(0), {event(1000, "New"), event(1200, "Running")}};
  Replica second{document(1), {event(900, "New"), event(2000, "Running")}};
  json job = render_job("j", {first, second}, {});
  ASSERT_EQ(job["updates"].size(), 2u) << job;
  EXPECT_EQ(job["createdAt"], 900);
  // RUNNING once every copy has started, not when the first did.
  EXPECT_EQ(job["updates"][1]["timestamp"], 2000);
  // Final when all are; the worst outcome wins.
  first.events.push_back(event(3000, "Completed"));
  EXPECT_EQ(render_job("j", {first, second}, {})["status"]["state"], "RUNNING");
  second.events.push_back(event(3500, "Failed"));
  job = render_job("j", {first, second}, {});
  EXPECT_EQ(job["status"]["state"], "FAILURE");
  EXPECT_EQ(job["updates"].back()["timestamp"], 3500);
  second.events.back().state = "Expired";
  EXPECT_EQ(render_job("j", {first, second}, {})["status"]["state"], "EXPIRED");
}

TEST(JobsApiDocument, OnlyJobsOfThisContractHaveAContractDocument) {
  EXPECT_NE(contract_document(document(0)), nullptr);
  EXPECT_EQ(contract_document(json{{"request", {{"executable", "/bin/true"}}}}), nullptr);
  EXPECT_EQ(contract_document(json{{"request", {{"contract", {{"name", "tes"}}}}}}), nullptr);
  EXPECT_EQ(contract_document(json("x")), nullptr);
}

}  // namespace
}  // namespace cuttle::rest::jobs_api
