// The backward-compatible additions: the event journal (JSON and Server-Sent Events),
// paging and state filters on GET /job, PUT /job/{id}/cancel, max runtime and extend,
// schedulers by name, /metrics, /openapi.json, and retention of finished jobs.
#include <gtest/gtest.h>

#include <Poco/Net/HTTPClientSession.h>

#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

class RestExtras : public RestServiceTest {
 protected:
  RestExtras() : RestServiceTest("extras") {}
  json config() const {
    json c = base_config(dir_.path(), port_);
    c["schedulers"]["attached"] = {{"location", "local://"}};
    c["default_scheduler"] = "local";
    return c;
  }
};

TEST_F(RestExtras, EventsListEveryStateChangeWithItsTime) {
  start(config());
  const auto job = submit("exit 0");
  ASSERT_TRUE(wait_state(job, "DONE"));
  const json events = doc(job + "/events")["events"];
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front()["state"], "INITIAL");
  EXPECT_EQ(events.back()["state"], "DONE");
  EXPECT_EQ(events.back()["cuttle_state"], "Completed");
  std::int64_t last = 0;
  for (const auto& e : events) {
    EXPECT_GT(e["seq"].get<std::int64_t>(), last);
    last = e["seq"];
    EXPECT_EQ(e["time"].get<std::string>().size(), 24u) << e;  // 2026-11-23T00:38:30.366Z
  }
}

TEST_F(RestExtras, EventStreamFollowsAJobUntilItIsDone) {
  start(config());
  const auto job = submit("sleep 1; exit 2");
  Poco::Net::HTTPClientSession session("127.0.0.1", port_);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request("GET", job + "/events", Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Accept", "text/event-stream");
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  EXPECT_EQ(response.getContentType(), "text/event-stream");
  std::string stream;
  Poco::StreamCopier::copyToString(in, stream);  // ends when the job is done
  std::vector<json> data;
  std::size_t at = 0;
  while ((at = stream.find("data: ", at)) != std::string::npos) {
    const auto end = stream.find('\n', at);
    data.push_back(json::parse(stream.substr(at + 6, end - at - 6)));
    at = end;
  }
  ASSERT_GE(data.size(), 3u) << stream;
  EXPECT_EQ(data.front()["state"], "INITIAL");
  EXPECT_EQ(data.back()["state"], "DONE");
  EXPECT_EQ(data.back()["status"]["exitCode"], 2);
  EXPECT_NE(stream.find("event: state\n"), std::string::npos);
}

TEST_F(RestExtras, JobListPagesAndFiltersByState) {
  start(config());
  std::vector<std::string> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(submit("exit 0"));
  const auto sleeper = submit("sleep 30");
  for (const auto& j : jobs) ASSERT_TRUE(wait_state(j, "DONE"));
  ASSERT_TRUE(wait_state(sleeper, "RUNNING"));

  std::vector<std::string> seen;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    auto r = http("GET", port_, "/job?limit=2" + (token.empty() ? "" : "&page_token=" + token));
    ASSERT_EQ(r.status, 200);
    for (const auto& url : json::parse(r.body)) seen.push_back(url);
    EXPECT_LE(json::parse(r.body).size(), 2u);
    token = r.headers.count("X-Next-Page-Token") ? r.headers["X-Next-Page-Token"] : "";
    if (token.empty()) break;
  }
  EXPECT_EQ(seen.size(), 6u);
  auto running = json::parse(http("GET", port_, "/job?state=RUNNING").body);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_NE(running[0].get<std::string>().find(sleeper), std::string::npos);
  EXPECT_EQ(json::parse(http("GET", port_, "/job?state=DONE").body).size(), 5u);
  EXPECT_EQ(json::parse(http("GET", port_, "/job?state=KILLED,ERROR").body).size(), 0u);
  EXPECT_EQ(http("PUT", port_, sleeper + "/cancel").status, 200);
}

TEST_F(RestExtras, PutCancelIsIdempotentAndAnswersTheDocument) {
  start(config());
  const auto job = submit("sleep 30");
  ASSERT_TRUE(wait_state(job, "RUNNING"));
  auto first = http("PUT", port_, job + "/cancel");
  EXPECT_EQ(first.status, 200);
  ASSERT_TRUE(wait_state(job, "KILLED"));
  auto second = http("PUT", port_, job + "/cancel");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(json::parse(second.body)["status"]["state"], "KILLED");
  EXPECT_EQ(json::parse(second.body)["status"]["exception"], "Process cancelled by user.");
  EXPECT_EQ(http("PUT", port_, "/job/00000000-0000-0000-0000-000000000000/cancel").status, 404);
}

TEST_F(RestExtras, MaxRuntimeKillsTheJobAndExtendMovesTheDeadline) {
  start(config());
  const auto short_job = submit("sleep 30", {{"max_runtime", 1}});
  ASSERT_TRUE(wait_state(short_job, "KILLED"));
  EXPECT_NE(doc(short_job)["status"]["exception"].get<std::string>().find("Time allocation"),
            std::string::npos);
  EXPECT_EQ(doc(short_job)["request"]["max_runtime"], 1);

  const auto extended = submit("sleep 3; exit 0", {{"max_runtime", "2s"}});
  ASSERT_TRUE(wait_state(extended, "RUNNING"));
  auto r = http("POST", port_, extended + "/extend", json{{"seconds", 30}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(wait_state(extended, "DONE"));
  EXPECT_EQ(doc(extended)["status"]["exitCode"], 0);
  auto late = http("POST", port_, extended + "/extend", json{{"by", "5m"}}.dump());
  EXPECT_EQ(late.status, 409) << late.body;
  auto bad = http("POST", port_, extended + "/extend", json{{"seconds", -1}}.dump());
  EXPECT_EQ(bad.status, 400);
}

TEST_F(RestExtras, JobsRunOnTheSchedulerTheyName) {
  start(config());
  const auto job = submit("exit 0", {{"scheduler", "attached"},
                                     {"name", "nightly"},
                                     {"labels", {{"team", "a"}}},
                                     {"retry_limit", 1}});
  ASSERT_TRUE(wait_state(job, "DONE"));
  const json d = doc(job);
  EXPECT_EQ(d["status"]["schedulerSpecficInformation"]["cuttle.scheduler"], "attached");
  EXPECT_EQ(d["request"]["name"], "nightly");
  EXPECT_EQ(d["request"]["labels"]["team"], "a");
}

TEST_F(RestExtras, MetricsHealthAndOpenApiAreServed) {
  start(config());
  ASSERT_TRUE(wait_state(submit("exit 0"), "DONE"));
  const auto metrics = http("GET", port_, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("cuttle_jobs_submitted_total 1\n"), std::string::npos)
      << metrics.body;
  // The gauge counts jobs held in memory: a finished job has left it (it is in the store).
  EXPECT_NE(metrics.body.find("# TYPE cuttle_jobs gauge\n"), std::string::npos) << metrics.body;
  EXPECT_EQ(metrics.body.find("cuttle_jobs{state=\"DONE\"}"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.headers.at("Content-Type").find("text/plain"), std::string::npos);
  const json health = json::parse(http("GET", port_, "/health").body);
  EXPECT_EQ(health["status"], "ok");
  const auto openapi = http("GET", port_, "/openapi.json");
  EXPECT_EQ(openapi.status, 200);
  const char* source = std::getenv("CUTTLE_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(json::parse(openapi.body),
            json::parse(read_file(std::string(source) + "/docs/openapi.json")));
}

TEST_F(RestExtras, FinishedJobsAreForgottenAfterTheRetentionTime) {
  json c = config();
  c["retention"] = {{"finished_jobs", "1s"}, {"delete_sandboxes", true}};
  start(c);
  const auto job = submit("exit 0");
  ASSERT_TRUE(wait_state(job, "DONE"));
  const std::string sandbox =
      doc(job)["status"]["schedulerSpecficInformation"].value("sandbox", std::string());
  ASSERT_FALSE(sandbox.empty());
  EXPECT_TRUE(
      eventually([&] { return http("GET", port_, job).status == 404; }, std::chrono::seconds(15)));
  EXPECT_TRUE(eventually([&] { return !fs::exists(sandbox); }, std::chrono::seconds(5))) << sandbox;
}

}  // namespace
}  // namespace cuttle::rest::testing
