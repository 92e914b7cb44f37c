// The jobs API with time allocations (shared/reference/001_*) against the real service:
// the reference's curl session replayed field by field — on local://, with the
// application in a podman image, on the real Slurm of tests/env/slurm.sh and on
// kubernetes:// against the emulator of tests/env/kubernetes.sh — then what
// the reference leaves to the service: the final states (EXPIRED by the time allocation,
// SUCCESS and FAILURE by the exit), replicas, callers who may not see each other's jobs,
// bulk requests answering per item, hostile fields named in 400s, the same job seen through
// the joblauncher contract, and a kill -9 of the service mid-run.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/container_test_env.h"
#include "tests/integration/rest/jobs_api_test_support.h"

namespace cuttle::rest::testing {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Cancels every job still running, so none outlives its test (local jobs are detached).
void cancel_leftovers(std::uint16_t port) {
  auto r = http("GET", port, "/job?state=INITIAL,PENDING,RUNNING", {}, kUser);
  if (r.status != 200) return;
  for (const auto& url : json::parse(r.body)) {
    const std::string location = url.get<std::string>();
    http("PUT", port, location.substr(location.find("/job/")) + "/cancel", {}, kUser);
  }
}

// Where the replayed session runs.
struct Target {
  std::string name;
  std::string image;  // the application's image; empty: a plain executable
  bool slurm = false;
  bool kubernetes = false;  // the emulator of tests/env/kubernetes.sh, with its image
};

std::string target_name(const ::testing::TestParamInfo<Target>& info) { return info.param.name; }
// How gtest (and so ctest's listing) prints a Target.
void PrintTo(const Target& target, std::ostream* out) { *out << target.name; }

class JobsApiSession : public RestServiceTest, public ::testing::WithParamInterface<Target> {
 protected:
  JobsApiSession() : RestServiceTest("jobs-api-session") {}
  void SetUp() override {
    const Target& t = GetParam();
    if (!t.image.empty()) CUTTLE_REQUIRE_CONTAINER_ENV("podman");
    if (t.slurm && env("CUTTLE_TEST_SLURM").empty()) {
      if (in_ci()) FAIL() << "CUTTLE_TEST_SLURM not set";
      GTEST_SKIP() << "no test Slurm: run eval \"$(tests/env/slurm.sh start)\" first";
    }
    if (t.kubernetes && env("CUTTLE_TEST_K8S_KUBECONFIG").empty()) {
      if (in_ci()) FAIL() << "Kubernetes emulator not running";
      GTEST_SKIP() << "Kubernetes emulator not running: eval \"$(tests/env/kubernetes.sh start)\"";
    }
    const std::string image = t.kubernetes ? env("CUTTLE_TEST_K8S_IMAGE") : t.image;
    // In the image the host's /etc/debian_version is not there: a job that ran on the host
    // instead would end at once. As a container's PID 1 the shell ignores TERM unless it
    // traps it: it does, so a terminated pod stops at once instead of after its grace.
    const std::string command = image.empty() ? "sleep 600"
                                              : "[ -e /etc/debian_version ] && exit 7; "
                                                "trap 'exit 143' TERM; sleep 600 & wait";
    json config =
        jobs_api_config(dir_.path(), port_, {application("acme-web-application", command, image)},
                        t.slurm        ? "slurm"
                        : t.kubernetes ? "k8s"
                                       : "local");
    if (t.slurm) {
      config["schedulers"]["slurm"] = {{"location", "slurm://"},
                                       {"properties", {{"sandbox.root", dir_.path() + "/slurm"}}}};
    }
    if (t.kubernetes) {
      config["schedulers"]["k8s"] = {
          {"location", "kubernetes://?namespace=" + env("CUTTLE_TEST_K8S_NAMESPACE")},
          {"properties",
           {{"kubeconfig", env("CUTTLE_TEST_K8S_KUBECONFIG")},
            {"default.image", image},
            {"logs.root", dir_.path() + "/logs"}}}};
    }
    start(config);
  }
  void TearDown() override {
    if (service_) cancel_leftovers(port_);
    RestServiceTest::TearDown();
  }
};

// Every member of a JobUpdate as the reference shows it.
void expect_update(const json& update, const std::string& state, const std::string& status) {
  EXPECT_EQ(update["state"], state) << update;
  EXPECT_EQ(update["status"], status) << update;
  for (const char* key : {"outputFolder", "expectedState", "expectedDifferentState",
                          "newTimeAllocation", "allowRestart", "newMounts"}) {
    EXPECT_TRUE(update.contains(key) && update[key].is_null()) << key << " " << update;
  }
  EXPECT_TRUE(update["timestamp"].is_number_integer()) << update;
  EXPECT_EQ(update.size(), 9u) << update;
}

// The members every retrieve of the session shows the same way.
void expect_reference_job(const json& job, const std::string& id) {
  const json reference_specification = json::parse(reference_create())["items"][0];
  std::set<std::string> members;
  for (const auto& [key, value] : job.items()) members.insert(key);
  EXPECT_EQ(members,
            (std::set<std::string>{"id", "owner", "updates", "specification", "status", "createdAt",
                                   "output", "permissions", "providerGeneratedId"}));
  EXPECT_EQ(job["id"], id);
  EXPECT_EQ(job["providerGeneratedId"], id);
  EXPECT_EQ(job["owner"], (json{{"createdBy", "user"}, {"project", nullptr}}));
  EXPECT_EQ(job["specification"], reference_specification);
  EXPECT_TRUE(job["output"].is_null());
  EXPECT_TRUE(job["permissions"].is_null());
  const json& status = job["status"];
  std::set<std::string> status_members;
  for (const auto& [key, value] : status.items()) status_members.insert(key);
  EXPECT_EQ(status_members,
            (std::set<std::string>{"state", "jobParametersJson", "startedAt", "expiresAt",
                                   "resolvedApplication", "resolvedSupport", "resolvedProduct",
                                   "allowRestart"}));
  for (const char* key :
       {"jobParametersJson", "resolvedApplication", "resolvedSupport", "resolvedProduct"}) {
    EXPECT_TRUE(status[key].is_null()) << key;
  }
  EXPECT_EQ(status["allowRestart"], false);
  ASSERT_GE(job["updates"].size(), 2u) << job;
  expect_update(job["updates"][0], "IN_QUEUE", "Your job is now waiting in the queue!");
  expect_update(job["updates"][1], "RUNNING", "Your job is now running!");
  // The history starts when the job was created and moves forward.
  EXPECT_EQ(job["updates"][0]["timestamp"], job["createdAt"]);
  for (std::size_t i = 1; i < job["updates"].size(); ++i) {
    EXPECT_GE(job["updates"][i]["timestamp"], job["updates"][i - 1]["timestamp"]);
  }
}

TEST_P(JobsApiSession, TheReferenceSessionReplaysFieldByField) {
  const std::int64_t before = now_ms();
  // Create: {"responses": [{"id": "..."}]}
  auto created = http("POST", port_, "/api/jobs", reference_create(),
                      {{"Authorization", "Bearer tok-user"},
                       {"Content-Type", "content-type: application/json; charset=utf-8"}});
  ASSERT_EQ(created.status, 200) << created.body;
  const json responses = json::parse(created.body);
  ASSERT_EQ(responses.size(), 1u) << responses;
  ASSERT_EQ(responses["responses"].size(), 1u);
  ASSERT_EQ(responses["responses"][0].size(), 1u);
  const std::string id = responses["responses"][0]["id"];
  ASSERT_FALSE(id.empty());

  // Retrieve: RUNNING, expiring 5 hours after it started.
  ASSERT_TRUE(wait_job_state(port_, id, "RUNNING", std::chrono::seconds(120))) << job_of(port_, id);
  const json running = job_of(port_, id);
  expect_reference_job(running, id);
  EXPECT_EQ(running["updates"].size(), 2u) << running;
  EXPECT_EQ(running["status"]["state"], "RUNNING");
  EXPECT_GE(running["createdAt"].get<std::int64_t>(), before);
  EXPECT_LE(running["createdAt"].get<std::int64_t>(), now_ms());
  ASSERT_TRUE(running["status"]["startedAt"].is_number_integer()) << running;
  ASSERT_TRUE(running["status"]["expiresAt"].is_number_integer()) << running;
  const std::int64_t started = running["status"]["startedAt"];
  const std::int64_t expires = running["status"]["expiresAt"];
  EXPECT_GE(started, running["createdAt"].get<std::int64_t>() - 1000);
  EXPECT_NEAR(static_cast<double>(expires - started), 5 * 3600 * 1000.0, 2000.0);

  // Extend by an hour: {"responses": [{}]}, and the expiry moves by exactly that.
  auto extended = http("POST", port_, "/api/jobs/extend", R"({
"items": [
{
"jobId": ")" + id + R"(",
"requestedTime": {
"hours": 1,
"minutes": 0,
"seconds": 0
}
}
]
})",
                       kUser);
  ASSERT_EQ(extended.status, 200) << extended.body;
  EXPECT_EQ(json::parse(extended.body), json::parse(R"({"responses": [{}]})"));
  const json after_extend = job_of(port_, id);
  expect_reference_job(after_extend, id);
  EXPECT_EQ(after_extend["status"]["state"], "RUNNING");
  EXPECT_EQ(after_extend["updates"], running["updates"]);  // an extension is not a new state
  EXPECT_EQ(after_extend["createdAt"], running["createdAt"]);
  EXPECT_EQ(after_extend["status"]["startedAt"], running["status"]["startedAt"]);
  EXPECT_NEAR(
      static_cast<double>(after_extend["status"]["expiresAt"].get<std::int64_t>() - expires),
      3600 * 1000.0, 1000.0);

  // Terminate: {"responses": [{}]}; the job reads SUCCESS, "cancelled", expiresAt null.
  auto terminated = http("POST", port_, "/api/jobs/terminate",
                         R"({
"items": [
{
"id": ")" + id + R"("
}
]
})",
                         kUser);
  ASSERT_EQ(terminated.status, 200) << terminated.body;
  EXPECT_EQ(json::parse(terminated.body), json::parse(R"({"responses": [{}]})"));
  ASSERT_TRUE(wait_job_state(port_, id, "SUCCESS")) << job_of(port_, id);
  const json ended = job_of(port_, id);
  expect_reference_job(ended, id);
  EXPECT_TRUE(ended["status"]["expiresAt"].is_null()) << ended;
  EXPECT_EQ(ended["status"]["startedAt"], running["status"]["startedAt"]);
  ASSERT_EQ(ended["updates"].size(), 3u) << ended;
  EXPECT_EQ(ended["updates"][0], running["updates"][0]);
  EXPECT_EQ(ended["updates"][1], running["updates"][1]);
  expect_update(ended["updates"][2], "SUCCESS", "Your job has been cancelled!");
  EXPECT_LE(ended["updates"][2]["timestamp"].get<std::int64_t>(), now_ms());
}

INSTANTIATE_TEST_SUITE_P(Targets, JobsApiSession,
                         ::testing::Values(Target{"local", "", false},
                                           Target{"podman", "localhost/busybox:latest", false},
                                           Target{"slurm", "", true},
                                           Target{"kubernetes", "", false, true}),
                         target_name);

// What the reference leaves to the service, on local://.
class JobsApi : public RestServiceTest {
 protected:
  JobsApi() : RestServiceTest("jobs-api") {}
  void SetUp() override {
    fs::create_directories(out());
    start(jobs_api_config(
        dir_.path(), port_,
        {application("sleeper", "sleep 600"), application("ok", "exit 0"),
         application("fails", "exit 3"), application("stubborn", "trap '' TERM; sleep 600"),
         application("uneven", "[ $CUTTLE_REPLICA = 1 ] && exit 0; sleep 600"),
         application("copies", "echo $CUTTLE_REPLICA-$CUTTLE_REPLICAS > " + out() +
                                   "/$CUTTLE_REPLICA; sleep 600")}));
  }
  void TearDown() override {
    if (service_) cancel_leftovers(port_);
    RestServiceTest::TearDown();
  }
  std::string out() const { return dir_.path() + "/out"; }
};

TEST_F(JobsApi, AJobKilledByItsTimeAllocationReadsExpired) {
  const std::string id = create_job(port_, specification("sleeper", hms(0, 0, 2)));
  ASSERT_TRUE(wait_job_state(port_, id, "EXPIRED")) << job_of(port_, id);
  const json job = job_of(port_, id);
  EXPECT_TRUE(job["status"]["expiresAt"].is_null());
  const json& last = job["updates"].back();
  EXPECT_EQ(last["state"], "EXPIRED");
  EXPECT_EQ(last["status"], "Your job has reached the end of its time allocation!");
}

TEST_F(JobsApi, AJobThatEndsByItselfReadsSuccessOrFailure) {
  const std::string ok = create_job(port_, specification("ok", hms(0, 5, 0)));
  const std::string fails = create_job(port_, specification("fails", hms(0, 5, 0)));
  ASSERT_TRUE(wait_job_state(port_, ok, "SUCCESS")) << job_of(port_, ok);
  ASSERT_TRUE(wait_job_state(port_, fails, "FAILURE")) << job_of(port_, fails);
  EXPECT_EQ(job_of(port_, ok)["updates"].back()["status"], "Your job has completed successfully!");
  EXPECT_EQ(job_of(port_, fails)["updates"].back()["status"], "Your job has failed!");
  // Nothing left to extend; terminating a finished job changes nothing.
  auto extend =
      post_items(port_, "/api/jobs/extend", {{{"jobId", ok}, {"requestedTime", hms(1, 0, 0)}}});
  EXPECT_EQ(extend.status, 409) << extend.body;
  EXPECT_EQ(json::parse(extend.body)["field"], "items[0].jobId") << extend.body;
  EXPECT_EQ(post_items(port_, "/api/jobs/terminate", {{{"id", fails}}}).status, 200);
  EXPECT_EQ(job_of(port_, fails)["status"]["state"], "FAILURE");
}

TEST_F(JobsApi, ReplicasRunThatManyCopiesUnderOneId) {
  const std::string id = create_job(port_, specification("copies", hms(1, 0, 0), 3));
  ASSERT_TRUE(wait_job_state(port_, id, "RUNNING")) << job_of(port_, id);
  for (int rank = 0; rank < 3; ++rank) {
    ASSERT_TRUE(eventually([&] { return fs::exists(out() + "/" + std::to_string(rank)); },
                           std::chrono::seconds(10)));
    EXPECT_EQ(read_file(out() + "/" + std::to_string(rank)), std::to_string(rank) + "-3\n");
  }
  const json job = job_of(port_, id);
  EXPECT_EQ(job["specification"]["replicas"], 3);
  EXPECT_EQ(job["updates"].size(), 2u) << job;  // one history for the job, not one per copy
  // Each copy is a job of the one store (the joblauncher listing shows all three) ...
  EXPECT_EQ(json::parse(http("GET", port_, "/job?state=RUNNING", {}, kUser).body).size(), 3u);
  // ... and the job's id answers for all of them.
  const std::int64_t expires = job["status"]["expiresAt"];
  ASSERT_EQ(
      post_items(port_, "/api/jobs/extend", {{{"jobId", id}, {"requestedTime", hms(0, 10, 0)}}})
          .status,
      200);
  EXPECT_NEAR(
      static_cast<double>(job_of(port_, id)["status"]["expiresAt"].get<std::int64_t>() - expires),
      600 * 1000.0, 2000.0);
  ASSERT_EQ(post_items(port_, "/api/jobs/terminate", {{{"id", id}}}).status, 200);
  ASSERT_TRUE(wait_job_state(port_, id, "SUCCESS"));
  EXPECT_TRUE(json::parse(http("GET", port_, "/job?state=RUNNING,PENDING,INITIAL", {}, kUser).body)
                  .empty());
  EXPECT_EQ(json::parse(http("GET", port_, "/job?state=KILLED", {}, kUser).body).size(), 3u);
}

TEST_F(JobsApi, ExtendMovesTheCopiesStillRunningAndSkipsThoseThatEnded) {
  const std::string id = create_job(port_, specification("uneven", hms(1, 0, 0), 2));
  // Copy 1 ends at once; the job runs on while copy 0 does.
  ASSERT_TRUE(eventually(
      [&] {
        return json::parse(http("GET", port_, "/job?state=DONE", {}, kUser).body).size() == 1;
      },
      std::chrono::seconds(30)));
  ASSERT_TRUE(wait_job_state(port_, id, "RUNNING")) << job_of(port_, id);
  const std::int64_t expires = job_of(port_, id)["status"]["expiresAt"];
  auto r =
      post_items(port_, "/api/jobs/extend", {{{"jobId", id}, {"requestedTime", hms(0, 5, 0)}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NEAR(
      static_cast<double>(job_of(port_, id)["status"]["expiresAt"].get<std::int64_t>() - expires),
      300 * 1000.0, 2000.0);
  ASSERT_EQ(post_items(port_, "/api/jobs/terminate", {{{"id", id}}}).status, 200);
  ASSERT_TRUE(wait_job_state(port_, id, "SUCCESS"));
  EXPECT_EQ(job_of(port_, id)["updates"].back()["status"], "Your job has been cancelled!");
}

TEST_F(JobsApi, OnlyTheOwnerSeesTheirJobs) {
  const std::string id = create_job(port_, specification("sleeper", hms(1, 0, 0)));
  ASSERT_TRUE(wait_job_state(port_, id, "RUNNING"));
  // Another caller is told the job is not there: 404, as for an id that never existed.
  auto seen = retrieve(port_, id, kOther);
  EXPECT_EQ(seen.status, 404) << seen.body;
  EXPECT_EQ(json::parse(seen.body)["field"], "id");
  EXPECT_EQ(retrieve(port_, "00000000-0000-0000-0000-000000000000").status, 404);
  auto extend = post_items(port_, "/api/jobs/extend",
                           {{{"jobId", id}, {"requestedTime", hms(1, 0, 0)}}}, kOther);
  EXPECT_EQ(extend.status, 404) << extend.body;
  EXPECT_EQ(json::parse(extend.body)["field"], "items[0].jobId");
  auto terminate = post_items(port_, "/api/jobs/terminate", {{{"id", id}}}, kOther);
  EXPECT_EQ(terminate.status, 404) << terminate.body;
  EXPECT_EQ(json::parse(terminate.body)["field"], "items[0].id");
  EXPECT_EQ(job_of(port_, id)["status"]["state"], "RUNNING");
  // Without a token nothing at all.
  EXPECT_EQ(http("GET", port_, std::string(kReferenceRetrieve) + id).status, 401);
  // A joblauncher job is no jobs-API job.
  auto joblauncher = http("POST", port_, "/job",
                          json{{"jobdir", jobs()}, {"executable", "/bin/true"}}.dump(), kUser);
  ASSERT_EQ(joblauncher.status, 201) << joblauncher.body;
  const std::string location = joblauncher.headers["Location"];
  EXPECT_EQ(retrieve(port_, location.substr(location.rfind('/') + 1)).status, 404);
  EXPECT_EQ(post_items(port_, "/api/jobs/terminate", {{{"id", id}}}).status, 200);
}

TEST_F(JobsApi, EachBulkItemAnswersForItself) {
  json bad_time = specification("sleeper", hms(-1, 0, 0));
  json bad_product = specification("sleeper", hms(1, 0, 0));
  bad_product["product"]["id"] = "no-such-product";
  auto r = post_items(port_, "/api/jobs",
                      {specification("sleeper", hms(1, 0, 0)), bad_time, bad_product});
  ASSERT_EQ(r.status, 207) << r.body;
  const json body = json::parse(r.body);
  ASSERT_EQ(body["responses"].size(), 3u);
  const std::string id = body["responses"][0]["id"];
  EXPECT_TRUE(body["responses"][1].is_null());
  EXPECT_TRUE(body["responses"][2].is_null());
  ASSERT_EQ(body["failures"].size(), 2u) << body;
  EXPECT_EQ(body["failures"][0]["index"], 1);
  EXPECT_EQ(body["failures"][0]["status"], 400);
  EXPECT_EQ(body["failures"][0]["field"], "items[1].timeAllocation.hours");
  EXPECT_EQ(body["failures"][1]["field"], "items[2].product");
  EXPECT_EQ(body["field"], "items[1].timeAllocation.hours");  // the first failure, on top
  EXPECT_FALSE(body["reason"].get<std::string>().empty());
  // The valid item ran regardless.
  ASSERT_TRUE(wait_job_state(port_, id, "RUNNING"));
  // All items failing: the first failure's status.
  auto all_bad = post_items(port_, "/api/jobs", {bad_time, bad_product});
  EXPECT_EQ(all_bad.status, 400) << all_bad.body;
  EXPECT_EQ(json::parse(all_bad.body)["field"], "items[0].timeAllocation.hours");
  // The same for extend and terminate.
  auto extend = post_items(port_, "/api/jobs/extend",
                           {{{"jobId", "nope"}, {"requestedTime", hms(0, 1, 0)}},
                            {{"jobId", id}, {"requestedTime", hms(0, 1, 0)}}});
  EXPECT_EQ(extend.status, 207) << extend.body;
  EXPECT_EQ(json::parse(extend.body)["responses"], json::parse("[null, {}]"));
  auto terminate = post_items(port_, "/api/jobs/terminate", {{{"id", id}}, {{"id", 7}}});
  EXPECT_EQ(terminate.status, 207) << terminate.body;
  EXPECT_EQ(json::parse(terminate.body)["failures"][0]["field"], "items[1].id");
  EXPECT_TRUE(wait_job_state(port_, id, "SUCCESS"));
}

TEST_F(JobsApi, EveryBadFieldIsA400NamingIt) {
  const json good = specification("sleeper", hms(1, 0, 0));
  struct Case {
    std::string member;  // "a.b" sets good[a][b]
    json value;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"application", nullptr, "application"},
      {"application", "acme", "application"},
      {"application.name", 5, "application.name"},
      {"application.version", "9.9", "application"},
      {"application.extra", 1, "application.extra"},
      {"product", json::array(), "product"},
      {"product.provider", "", "product.provider"},
      {"product.category", std::string(70000, 'c'), "product.category"},
      {"replicas", 0, "replicas"},
      {"replicas", 1000, "replicas"},
      {"replicas", "2", "replicas"},
      {"replicas", 1.5, "replicas"},
      {"timeAllocation", "5h", "timeAllocation"},
      {"timeAllocation", hms(0, 0, 0), "timeAllocation"},
      {"timeAllocation.minutes", -5, "timeAllocation.minutes"},
      {"timeAllocation.seconds", 1e300, "timeAllocation.seconds"},
      {"timeAllocation.hours", 9999999, "timeAllocation.hours"},
      {"timeAllocation.days", 1, "timeAllocation.days"},
      {"name", 5, "name"},
      {"name", std::string("a\0b", 3), "name"},
      {"allowDuplicateJob", "no", "allowDuplicateJob"},
      {"parameters", {{"x", {{"type", "text"}, {"value", "$(id)"}}}}, "parameters"},
      {"resources", {{{"path", "/etc"}}}, "resources"},
      {"openedFile", "/etc/passwd", "openedFile"},
      {"restartOnExit", true, "restartOnExit"},
      {"sshEnabled", true, "sshEnabled"},
      {"sshEnabled", "yes", "sshEnabled"},
      {"executable", "/bin/sh", "executable"},
  };
  for (const auto& c : cases) {
    json item = good;
    const auto dot = c.member.find('.');
    if (dot == std::string::npos) {
      item[c.member] = c.value;
    } else {
      item[c.member.substr(0, dot)][c.member.substr(dot + 1)] = c.value;
    }
    auto r = post_items(port_, "/api/jobs", {item});
    EXPECT_EQ(r.status, 400) << c.member << ": " << r.body;
    const json body = json::parse(r.body, nullptr, false);
    EXPECT_EQ(body.value("field", ""), "items[0]." + c.field) << c.member << ": " << r.body;
  }
  // Bodies that are not bulk requests, and retrieve queries.
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"", "(body)"},
      {"[]", "(body)"},
      {"{\"items\": {}}", "items"},
      {"{\"items\": []}", "items"},
      {"{\"item\": []}", "item"},
      {"{\"items\": [1]}", "items[0]"}};
  for (const auto& [text, field] : bodies) {
    auto r = http("POST", port_, "/api/jobs", text, kUser);
    EXPECT_EQ(r.status, 400) << text << ": " << r.body;
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("field", ""), field) << text;
  }
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"/api/jobs/retrieve", "id"},
      {"/api/jobs/retrieve?id=x&includeProduct=maybe", "includeProduct"},
      {"/api/jobs/retrieve?id=x&includeOthers=true", "includeOthers"},
      {"/api/jobs/retrieve?id=x&filterState=DONE", "filterState"},
      {"/api/jobs/retrieve?id=x&filterCreatedAfter=yesterday", "filterCreatedAfter"},
      {"/api/jobs/retrieve?id=x&id=y", "id"},
      {"/api/jobs/retrieve?id=x&bogus=1", "bogus"},
      {"/api/jobs/retrieve?id=x&=1", "(query)"}};
  for (const auto& [target, field] : queries) {
    auto r = http("GET", port_, target, {}, kUser);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("field", ""), field) << target;
  }
  EXPECT_TRUE(json::parse(http("GET", port_, "/job", {}, kUser).body).empty());
}

TEST_F(JobsApi, IncludeFlagsAndFiltersShapeTheAnswer) {
  const std::string id = create_job(port_, specification("sleeper", hms(1, 0, 0)));
  ASSERT_TRUE(wait_job_state(port_, id, "RUNNING"));
  auto r = http("GET", port_,
                "/api/jobs/retrieve?id=" + id + "&includeApplication=true&includeProduct=true", {},
                kUser);
  ASSERT_EQ(r.status, 200) << r.body;
  const json status = json::parse(r.body)["status"];
  EXPECT_EQ(status["resolvedApplication"]["name"], "sleeper");
  EXPECT_EQ(status["resolvedApplication"]["executable"], "/bin/sh");
  EXPECT_EQ(status["resolvedProduct"]["scheduler"], "local");
  const std::string base = "/api/jobs/retrieve?id=" + id;
  EXPECT_EQ(http("GET", port_, base + "&filterState=RUNNING", {}, kUser).status, 200);
  EXPECT_EQ(http("GET", port_, base + "&filterState=SUCCESS", {}, kUser).status, 404);
  EXPECT_EQ(http("GET", port_, base + "&filterCreatedBy=user", {}, kUser).status, 200);
  EXPECT_EQ(http("GET", port_, base + "&filterApplication=ok", {}, kUser).status, 404);
  EXPECT_EQ(http("GET", port_, base + "&filterIds=a," + id, {}, kUser).status, 200);
  EXPECT_EQ(post_items(port_, "/api/jobs/terminate", {{{"id", id}}}).status, 200);
}

TEST_F(JobsApi, TheSameJobIsVisibleThroughTheJoblauncherContract) {
  const std::string id = create_job(port_, specification("sleeper", hms(1, 0, 0)));
  ASSERT_TRUE(wait_job_state(port_, id, "RUNNING"));
  auto r = http("GET", port_, "/job/" + id, {}, kUser);
  ASSERT_EQ(r.status, 200) << r.body;
  const json doc = json::parse(r.body);
  EXPECT_EQ(doc["status"]["state"], "RUNNING");
  EXPECT_EQ(doc["request"]["contract"]["name"], "jobs-api");
  EXPECT_EQ(doc["request"]["contract"]["document"]["owner"]["createdBy"], "user");
  // Cancelled there, it reads as terminated here.
  EXPECT_EQ(http("PUT", port_, "/job/" + id + "/cancel", {}, kUser).status, 200);
  ASSERT_TRUE(wait_job_state(port_, id, "SUCCESS"));
  EXPECT_EQ(job_of(port_, id)["updates"].back()["status"], "Your job has been cancelled!");
}

// kill -9 of the service while jobs-API jobs run on `config`'s product: after the restart
// each job is still there with its whole history and reaches its true final state, and
// each copy ran once (one sandbox under `sandboxes` per copy). `all` adds a failing job
// and one of two copies to the one that ends and the one that runs out of time.
void kill_nine_mid_run_loses_nothing(const TempDir& dir, std::uint16_t port, const json& config,
                                     const std::string& sandboxes, bool all) {
  fs::create_directories(dir.path() + "/jobs");
  write_file(dir.path() + "/config.json", config.dump(2));
  ServiceProcess service(dir.path() + "/config.json", dir.path() + "/service.log");
  ASSERT_TRUE(service.start(port)) << service.log();
  std::map<std::string, std::string> expected;  // id -> final state
  std::size_t copies = 0;
  auto create = [&](const std::string& app, int seconds, int replicas, const std::string& state) {
    expected[create_job(port, specification(app, hms(0, 0, seconds), replicas))] = state;
    copies += static_cast<std::size_t>(replicas);
  };
  create("short", 3600, 1, "SUCCESS");
  create("sleeper", 6, 1, "EXPIRED");
  if (all) {
    create("fails", 3600, 1, "FAILURE");
    create("short", 3600, 2, "SUCCESS");
  }
  for (const auto& [id, state] : expected) {
    ASSERT_TRUE(wait_job_state(port, id, "RUNNING")) << id << " " << job_of(port, id);
  }
  service.kill9();
  std::this_thread::sleep_for(std::chrono::seconds(7));  // every job ends while it is down
  ASSERT_TRUE(service.start(port)) << service.log();
  for (const auto& [id, state] : expected) {
    ASSERT_TRUE(wait_job_state(port, id, state)) << job_of(port, id) << service.log();
    const json job = job_of(port, id);
    ASSERT_EQ(job["updates"].size(), 3u) << job;
    EXPECT_EQ(job["updates"][0]["state"], "IN_QUEUE");
    EXPECT_EQ(job["updates"][1]["state"], "RUNNING");
    EXPECT_EQ(job["owner"]["createdBy"], "user");
  }
  std::size_t sandbox_count = 0;
  for (const auto& entry : fs::directory_iterator(sandboxes)) {
    sandbox_count += entry.is_directory() && entry.path().filename().string()[0] != '.' ? 1 : 0;
  }
  EXPECT_EQ(sandbox_count, copies);
  EXPECT_EQ(service.stop(), 0) << service.log();
}

const json kCrashApplications = {application("short", "sleep 4; exit 0"),
                                 application("sleeper", "sleep 600"),
                                 application("fails", "sleep 4; exit 3")};

TEST(JobsApiCrash, KillNineOfTheServiceMidRunLosesNothing) {
  TempDir dir("jobs-api-crash");
  const std::uint16_t port = free_port();
  kill_nine_mid_run_loses_nothing(dir, port, jobs_api_config(dir.path(), port, kCrashApplications),
                                  dir.path() + "/state/sandboxes/local", true);
}

// The same on the real Slurm of tests/env/slurm.sh (two jobs: one 2-CPU node).
TEST(JobsApiCrash, KillNineWithSlurmJobsMidRunLosesNothing) {
  if (env("CUTTLE_TEST_SLURM").empty()) {
    if (in_ci()) FAIL() << "CUTTLE_TEST_SLURM not set";
    GTEST_SKIP() << "no test Slurm: run eval \"$(tests/env/slurm.sh start)\" first";
  }
  TempDir dir("jobs-api-crash-slurm");
  const std::uint16_t port = free_port();
  json config = jobs_api_config(dir.path(), port, kCrashApplications, "slurm");
  config["schedulers"]["slurm"] = {{"location", "slurm://"},
                                   {"properties", {{"sandbox.root", dir.path() + "/slurm"}}}};
  kill_nine_mid_run_loses_nothing(dir, port, config, dir.path() + "/slurm", false);
}

}  // namespace
}  // namespace cuttle::rest::testing
