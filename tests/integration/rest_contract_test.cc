// The contract slips of issue 16 (finding 4), each against the real service: the next-page
// link keeps the state filter, an expired job reports exitCode null, a cancel answers
// with the state after it, extend makes the new deadline visible at once, an extend body
// with both "seconds" and "by" is refused, a missing executable on a local scheduler is
// refused at submit — and finished jobs leave the service's memory without leaving its
// API (finding 1).
#include <gtest/gtest.h>

#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

class RestContract : public RestServiceTest {
 protected:
  RestContract() : RestServiceTest("contract") {}
  void SetUp() override { start(base_config(dir_.path(), port_)); }
  HttpResult post(const json& extra) {
    json request = {{"jobdir", jobs()}, {"executable", "/bin/sh"}};
    request.update(extra);
    return http("POST", port_, "/job", request.dump());
  }
  static std::string next_link(const HttpResult& r) {
    auto it = r.headers.find("Link");
    if (it == r.headers.end()) return {};
    const auto& link = it->second;
    const auto start = link.find("/job?");
    return link.substr(start, link.find('>') - start);
  }
};

TEST_F(RestContract, NextPageLinkKeepsTheStateFilter) {
  std::vector<std::string> running;
  std::vector<std::string> done;
  for (int i = 0; i < 3; ++i) {
    done.push_back(submit("exit 0"));
    running.push_back(submit("sleep 30"));
  }
  for (const auto& j : done) ASSERT_TRUE(wait_state(j, "DONE"));
  for (const auto& j : running) ASSERT_TRUE(wait_state(j, "RUNNING"));
  std::vector<std::string> seen;
  std::string target = "/job?state=RUNNING&limit=1";
  for (int page = 0; page < 10 && !target.empty(); ++page) {
    auto r = http("GET", port_, target);
    ASSERT_EQ(r.status, 200) << target << ": " << r.body;
    for (const auto& url : json::parse(r.body)) seen.push_back(url);
    target = next_link(r);
  }
  ASSERT_EQ(seen.size(), running.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_NE(seen[i].find(running[i]), std::string::npos) << seen[i];
  }
  for (const auto& j : running) EXPECT_EQ(http("PUT", port_, j + "/cancel").status, 200);
}

TEST_F(RestContract, AJobWhoseTimeRanOutReportsExitCodeNull) {
  // The job catches the deadline's SIGTERM and exits 143 itself, so an exit code exists.
  const auto job = submit("trap 'exit 143' TERM; sleep 30 & wait", {{"max_runtime", 1}});
  ASSERT_TRUE(wait_state(job, "KILLED"));
  const json status = doc(job)["status"];
  EXPECT_EQ(status["schedulerSpecficInformation"]["cuttle.state"], "Expired");
  EXPECT_TRUE(status["exitCode"].is_null()) << status;
}

TEST_F(RestContract, CancelAnswersWithTheStateAfterTheCancel) {
  const auto job = submit("sleep 30");
  ASSERT_TRUE(wait_state(job, "RUNNING"));
  auto r = http("PUT", port_, job + "/cancel");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"]["state"], "KILLED") << r.body;
}

TEST_F(RestContract, ExtendMakesTheNewDeadlineVisibleAtOnce) {
  const auto job = submit("sleep 30", {{"max_runtime", "1m"}});
  ASSERT_TRUE(wait_state(job, "RUNNING"));
  const auto deadline = [](const json& d) {
    return d["status"]["schedulerSpecficInformation"].value("cuttle.deadline", "");
  };
  const std::string before = deadline(doc(job));
  ASSERT_FALSE(before.empty());
  auto r = http("POST", port_, job + "/extend", json{{"seconds", 600}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string answered = deadline(json::parse(r.body));
  EXPECT_GT(answered, before);  // RFC 3339 UTC with fixed width: text order is time order
  EXPECT_EQ(deadline(doc(job)), answered);
  EXPECT_EQ(http("PUT", port_, job + "/cancel").status, 200);
}

TEST_F(RestContract, ExtendWithBothSecondsAndByIsRefusedNamingBoth) {
  const auto job = submit("sleep 30", {{"max_runtime", "1m"}});
  ASSERT_TRUE(wait_state(job, "RUNNING"));
  auto r = http("POST", port_, job + "/extend", json{{"seconds", 60}, {"by", "10m"}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["field"], "seconds, by") << r.body;
  EXPECT_EQ(http("PUT", port_, job + "/cancel").status, 200);
}

TEST_F(RestContract, AMissingExecutableOnALocalSchedulerIsRefusedAtSubmit) {
  for (const std::string executable :
       {"/no/such/program", "no-such-program-cuttle", "$(touch pwned)", "/etc/passwd", "/tmp"}) {
    auto r = post({{"executable", executable}});
    EXPECT_EQ(r.status, 400) << executable << ": " << r.body;
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("field", ""), "executable") << r.body;
  }
  EXPECT_FALSE(fs::exists(jobs() + "/pwned"));
  EXPECT_TRUE(json::parse(http("GET", port_, "/job").body).empty());
  EXPECT_EQ(post({{"executable", "true"}}).status, 201);  // found on the PATH
  EXPECT_EQ(post({{"executable", "/bin/true"}}).status, 201);
}

// Issue 14: a resource field the scheduler cannot honour is a 400 naming it, a bad value a
// 400 naming it and the reason; nothing is created for either.
TEST_F(RestContract, ResourceFieldsALocalSchedulerCannotHonourAreRefusedNamingTheField) {
  const std::pair<json, std::string> cases[] = {
      {{{"gpus", 1}}, "gpus"},
      {{{"account", "chem42"}}, "account"},
      {{{"qos", "high"}}, "qos"},
      {{{"reservation", "r1"}}, "reservation"},
      {{{"constraints", {"ssd"}}}, "constraints"},
      {{{"exclusive_nodes", true}}, "exclusive_nodes"},
      {{{"gpus", 0}}, "gpus"},
      {{{"gpus", 1}, {"gpu_type", "a 100"}}, "gpu_type"},
      {{{"constraints", {"ssd", "a|b"}}}, "constraints[1]"},
      {{{"exclusive_nodes", "yes"}}, "exclusive_nodes"},
      {{{"account", "p\n#SBATCH --uid=0"}}, "account"},
  };
  for (const auto& [fields, field] : cases) {
    auto r = post(fields);
    EXPECT_EQ(r.status, 400) << fields.dump() << ": " << r.body;
    const json body = json::parse(r.body, nullptr, false);
    EXPECT_EQ(body.value("field", ""), field) << r.body;
    EXPECT_FALSE(body.value("reason", "").empty()) << r.body;
  }
  EXPECT_TRUE(json::parse(http("GET", port_, "/job").body).empty());
}

TEST_F(RestContract, FinishedJobsLeaveMemoryButNotTheApi) {
  std::vector<std::string> finished;
  for (int i = 0; i < 5; ++i) finished.push_back(submit("echo out > out.txt; exit 3"));
  const auto running = submit("sleep 30");
  for (const auto& j : finished) ASSERT_TRUE(wait_state(j, "DONE"));
  ASSERT_TRUE(wait_state(running, "RUNNING"));
  // The jobs gauge counts what the service holds in memory: only the running job.
  const std::string metrics = http("GET", port_, "/metrics").body;
  EXPECT_NE(metrics.find("cuttle_jobs{state=\"RUNNING\"} 1"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("cuttle_jobs{state=\"DONE\"}"), std::string::npos) << metrics;
  // ... and every finished job is still fully served, from the store.
  for (const auto& j : finished) {
    const json d = doc(j);
    EXPECT_EQ(d["status"]["exitCode"], 3);
    EXPECT_EQ(d["request"]["executable"], "/bin/sh");
    EXPECT_EQ(http("POST", port_, j + "/extend", json{{"seconds", 5}}.dump()).status, 409);
    EXPECT_EQ(doc(j + "/events")["events"].back()["state"], "DONE");
  }
  EXPECT_EQ(json::parse(http("GET", port_, "/job?state=DONE").body).size(), 5u);
  // DELETE of a finished job still removes its sandbox.
  const std::string sandbox =
      doc(finished[0])["status"]["schedulerSpecficInformation"].value("sandbox", "");
  ASSERT_TRUE(fs::exists(sandbox)) << sandbox;
  EXPECT_EQ(http("DELETE", port_, finished[0]).status, 204);
  EXPECT_FALSE(fs::exists(sandbox));
  EXPECT_EQ(http("PUT", port_, running + "/cancel").status, 200);
}

}  // namespace
}  // namespace cuttle::rest::testing
