// The container job service contract (/api/process/..., reference 000) against the real
// service, its containers run by podman on local://: the reference's three examples
// replayed as written (the first with its trailing comma, the third through curl), the
// platform's inputs (minus ExcludedFiles) and outputs with every container's logs,
// several containers in order sharing /work, API keys per project (401, 403) in place of
// the bearer token, case-insensitive member names, RetryLimit, 400s naming the field,
// idempotent cancel, details, and events as JSON and as Server-Sent Events.
#include <gtest/gtest.h>

#include "bindings/rest/config.h"
#include "bindings/rest/process_request.h"
#include "tests/integration/container_test_env.h"
#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

const std::string kProject = "00000000-0000-0000-0000-000000000000";
const std::string kOtherProject = "11111111-1111-1111-1111-111111111111";
const std::string kKey = "key-of-project-0 'x' $(y)";
const std::string kOtherKey = "key-of-project-1";

// The reference's examples, byte for byte (000_*.txt).
const std::string kPlainExample = R"({
    "Runtime": {
        "type": "ContainerRuntimeSpec",
        "Containers": [
            {
                "Image": "busybox",
                "Command": ["/bin/sh", "-c", "ls"]
            }
        ] 
    },
})";

const std::string kPlatformExample = R"({
    "Runtime": {
        "type": "ContainerRuntimeSpec",
        "Containers": [
            {
                "Image": "busybox",
                "Command": ["/bin/sh", "-c", "cd /work/input/; ls > /work/output/workls.txt"]
            }
        ] 
    },
    "InputData": {
        "Locations": [
            {
                "type": "PlatformInputLocation",
                "ProjectId": "00000000-0000-0000-0000-000000000000",
                "LocalPath": "input",
                "ExcludedFiles": ["somefile.txt"]
            }
        ]
    },
    "OutputData": {
        "Locations": [
            {
                "type": "PlatformOutputLocation",
                "LocalPath": "output",
                "RelativePlatformPath": ""
            }
        ]
    },
    "RetryLimit": "1"
})";

class RestProcess : public RestServiceTest {
 protected:
  RestProcess() : RestServiceTest("process") {}
  void SetUp() override {
    require();
    if (IsSkipped() || HasFatalFailure()) return;
    platform_ = dir_.path() + "/platform";
    project_dir_ = platform_ + "/" + kProject;
    fs::create_directories(project_dir_ + "/sub");
    write_file(project_dir_ + "/input-a.txt", "a\n");
    write_file(project_dir_ + "/sub/b.txt", "b\n");
    write_file(project_dir_ + "/somefile.txt", "excluded\n");
    // Sandboxes must be readable by the container's root.
    fs::create_directories(dir_.path() + "/state/sandboxes");
    fs::permissions(dir_.path(), fs::perms::all);
    json config = base_config(dir_.path(), port_);
    // A bearer token is required elsewhere: the process paths take API keys instead.
    config["auth"] = {{"tokens", json::array({{{"name", "t"}, {"sha256", sha256_hex("bearer")}}})}};
    config["callbacks"]["mac"] =
        json::array({{{"scope", "127.0.0.1:" + std::to_string(receiver_.port())},
                      {"id", kMacKey.id},
                      {"key", kMacKey.key},
                      {"algorithm", kMacKey.algorithm}}});
    config["process"] = {
        {"platform_root", platform_},
        {"container_runtime", "podman"},
        {"images", {{"busybox", container_test::Env::podman_image()}}},
        {"projects",
         {{kProject,
           {{"api_keys_sha256", {sha256_hex(kKey)}}, {"webhook_url", receiver_.url("/hook")}}},
          {kOtherProject, {{"api_keys_sha256", {sha256_hex(kOtherKey)}}}}}}};
    adjust(config);
    start(config);
  }
  // What a variant of the fixture changes in the config (another scheduler), and the
  // servers it needs (skipped, or failed in CI, without them).
  virtual void adjust(json&) {}
  virtual void require() { CUTTLE_REQUIRE_CONTAINER_ENV("podman"); }

  std::map<std::string, std::string> headers(const std::string& project = kProject,
                                             const std::string& key = kKey) {
    return {{"api-version", "3"},
            {"dhi-service-id", "job"},
            {"dhi-project-id", project},
            {"dhi-open-api-key", key},
            {"Content-Type", "application/json"}};
  }
  HttpResult post(const std::string& body) {
    return http("POST", port_, "/api/process/job", body, headers());
  }
  // Submits; returns the job id (expects 200 {"jobId"}).
  std::string submit_process(const std::string& body) {
    const HttpResult r = post(body);
    EXPECT_EQ(r.status, 200) << r.body;
    const json answer = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(answer.is_object() && answer.size() == 1 && answer.contains("jobId")) << r.body;
    return answer.is_object() ? answer.value("jobId", "") : "";
  }
  json details(const std::string& id) {
    const HttpResult r = http("GET", port_, "/api/process/job/" + id, {}, headers());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  // Waits for a final state; returns the details then.
  json finished(const std::string& id) {
    json d;
    eventually(
        [&] {
          d = details(id);
          const std::string s = d.value("state", "");
          return s != "Pending" && s != "Running";
        },
        std::chrono::seconds(90));
    return d;
  }
  static std::string sh_job(const std::vector<std::string>& lines, int retry_limit = 0) {
    json containers = json::array();
    for (const auto& line : lines) {
      containers.push_back({{"Image", "busybox"}, {"Command", {"/bin/sh", "-c", line}}});
    }
    return json{{"Runtime", {{"type", "ContainerRuntimeSpec"}, {"Containers", containers}}},
                {"OutputData",
                 {{"Locations",
                   {{{"type", "PlatformOutputLocation"},
                     {"LocalPath", "output"},
                     {"RelativePlatformPath", "results"}}}}}},
                {"RetryLimit", retry_limit}}
        .dump();
  }
  std::string field_of_400(const std::string& body) {
    const HttpResult r = post(body);
    EXPECT_EQ(r.status, 400) << r.body;
    return json::parse(r.body, nullptr, false).value("field", "");
  }

  static inline const MacKey kMacKey{"", "process-hooks", "hook key 'x'", "hmac-sha-256"};
  CallbackServer receiver_{kMacKey};
  std::string platform_;
  std::string project_dir_;
};

TEST_F(RestProcess, PlainExampleRunsAsWritten) {
  const std::string id = submit_process(kPlainExample);
  const json d = finished(id);
  EXPECT_EQ(d["state"], "Succeeded") << d;
  EXPECT_EQ(d["exitCode"], 0);
  EXPECT_EQ(d["retryLimit"], 3) << "the default";
  ASSERT_EQ(d["containers"].size(), 1u);
  EXPECT_EQ(d["containers"][0]["Image"], "busybox");
  EXPECT_EQ(d["containers"][0]["exitCode"], 0);
  EXPECT_EQ(d["projectId"], kProject);
  // The same job through joblauncher (bearer token) and TES: the same true final state.
  const HttpResult jl = http("GET", port_, "/job/" + id, {}, {{"Authorization", "Bearer bearer"}});
  ASSERT_EQ(jl.status, 200) << jl.body;
  const json doc = json::parse(jl.body);
  EXPECT_EQ(doc["status"]["state"], "DONE") << doc.dump(2);
  EXPECT_EQ(doc["request"]["contract"]["name"], "process");
  const HttpResult tes = http("GET", port_, "/ga4gh/tes/v1/tasks/" + id, {},
                              {{"Authorization", "Bearer bearer"}});
  ASSERT_EQ(tes.status, 200) << tes.body;
  EXPECT_EQ(json::parse(tes.body)["state"], "COMPLETE") << tes.body;
}

TEST_F(RestProcess, PlatformExampleStagesInputsMinusExcludedAndOutputsWithLogs) {
  const std::string id = submit_process(kPlatformExample);
  const json d = finished(id);
  ASSERT_EQ(d["state"], "Succeeded") << d;
  EXPECT_EQ(d["retryLimit"], 1);
  EXPECT_EQ(read_file(project_dir_ + "/workls.txt"), "input-a.txt\nsub\n");
  EXPECT_TRUE(fs::exists(project_dir_ + "/logs/" + id + "/container-0.stdout.log"));
  EXPECT_TRUE(fs::exists(project_dir_ + "/logs/" + id + "/container-0.stderr.log"));
}

TEST_F(RestProcess, CurlScriptExampleRunsAsWritten) {
  if (LocalRunner().run({"sh", "-c", "command -v curl"}).exit_code != 0) {
    GTEST_SKIP() << "curl is not installed";
  }
  // The reference's script, its URL pointed at this service and its variables filled in.
  const std::string script =
      "projectId=\"" + kProject + "\"\nopenapikey='" +
      std::string("key-of-project-0 '\\''x'\\'' $(y)") +
      "'\n\ncurl -s -L -X POST \"http://127.0.0.1:" + std::to_string(port_) +
      "/api/process/job\" \\\n  -H 'api-version: 3' \\\n  -H 'dhi-service-id: job' \\\n"
      "  -H \"dhi-project-id: $projectId\" \\\n  -H \"dhi-open-api-key: $openapikey\" \\\n"
      "  -H 'Content-Type: application/json' \\\n  --data-raw '" +
      kPlatformExample + "'\n";
  const CommandResult r = LocalRunner().run({"sh", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const json answer = json::parse(r.stdout_text, nullptr, false);
  ASSERT_TRUE(answer.is_object() && answer.contains("jobId")) << r.stdout_text;
  EXPECT_EQ(finished(answer["jobId"])["state"], "Succeeded");
  EXPECT_EQ(read_file(project_dir_ + "/workls.txt"), "input-a.txt\nsub\n");
}

TEST_F(RestProcess, ApiKeysArePerProjectAndReplaceTheBearerToken) {
  EXPECT_EQ(http("GET", port_, "/job").status, 401) << "the joblauncher paths keep tokens";
  auto status_with = [&](const std::map<std::string, std::string>& h) {
    return http("POST", port_, "/api/process/job", kPlainExample, h).status;
  };
  EXPECT_EQ(status_with(headers(kProject, "wrong")), 401);
  auto no_key = headers();
  no_key.erase("dhi-open-api-key");
  EXPECT_EQ(status_with(no_key), 401);
  EXPECT_EQ(status_with(headers(kProject, kOtherKey)), 403);
  auto no_project = headers();
  no_project.erase("dhi-project-id");
  EXPECT_EQ(status_with(no_project), 400);
  // A job of one project is not found with another project's key.
  const std::string id = submit_process(kPlainExample);
  EXPECT_EQ(
      http("GET", port_, "/api/process/job/" + id, {}, headers(kOtherProject, kOtherKey)).status,
      404);
  EXPECT_EQ(http("PUT", port_, "/api/process/job/" + id + "/cancel", {},
                 headers(kOtherProject, kOtherKey))
                .status,
            404);
  finished(id);
}

TEST_F(RestProcess, MemberNamesIgnoreCaseAndRetryLimitTakesANumberOrNumericString) {
  const std::string camel = R"({"runtime": {"TYPE": "containerRuntimeSpec", "containers":
      [{"image": "busybox", "command": ["true"]}]}, "retryLimit": 2})";
  EXPECT_EQ(finished(submit_process(camel))["retryLimit"], 2);
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers":
      [{"Image": "busybox", "Command": ["true"]}]}, "RetryLimit": "x"})"),
            "RetryLimit");
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers":
      [{"Image": "busybox", "Command": ["true"]}]}, "RetryLimit": -1})"),
            "RetryLimit");
}

TEST_F(RestProcess, BadInputIsA400NamingTheField) {
  const std::string containers = R"("Containers": [{"Image": "busybox", "Command": ["true"]}])";
  EXPECT_EQ(field_of_400("{"), "(body)");
  EXPECT_EQ(field_of_400("[]"), "(body)");
  EXPECT_EQ(field_of_400("{}"), "Runtime");
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "Other", )" + containers + "}}"), "Runtime.type");
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers": []}})"),
            "Runtime.Containers");
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers":
      [{"Command": ["true"]}]}})"),
            "Runtime.Containers[0].Image");
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers":
      [{"Image": "busybox; rm -rf /", "Command": ["true"]}]}})"),
            "Runtime.Containers[0].Image");
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "ContainerRuntimeSpec", )" + containers +
                         R"(}, "Extra": 1})"),
            "Extra");
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "ContainerRuntimeSpec", )" + containers +
                         R"(}, "OutputData": {"Locations": [{"type": "PlatformOutputLocation",
      "LocalPath": "../escape", "RelativePlatformPath": ""}]}})"),
            "OutputData.Locations[0].LocalPath");
  EXPECT_EQ(field_of_400(R"({"Runtime": {"type": "ContainerRuntimeSpec", )" + containers +
                         R"(}, "OutputData": {"Locations": [{"type": "PlatformOutputLocation",
      "LocalPath": "out", "RelativePlatformPath": "/etc"}]}})"),
            "OutputData.Locations[0].RelativePlatformPath");
  const HttpResult other = post(R"({"Runtime": {"type": "ContainerRuntimeSpec", )" + containers +
                                R"(}, "InputData": {"Locations": [{"type": "PlatformInputLocation",
      "ProjectId": ")" + kOtherProject +
                                R"(", "LocalPath": "in"}]}})");
  EXPECT_EQ(other.status, 403) << other.body;
}

TEST_F(RestProcess, ContainersRunInOrderSharingWork) {
  const std::string id = submit_process(
      sh_job({"echo first > /work/output/order.txt", "echo second >> /work/output/order.txt"}));
  const json d = finished(id);
  ASSERT_EQ(d["state"], "Succeeded") << d;
  EXPECT_EQ(d["containers"][0]["exitCode"], 0);
  EXPECT_EQ(d["containers"][1]["exitCode"], 0);
  EXPECT_EQ(read_file(project_dir_ + "/results/order.txt"), "first\nsecond\n");
  EXPECT_TRUE(fs::exists(project_dir_ + "/results/logs/" + id + "/container-1.stdout.log"));
}

TEST_F(RestProcess, AContainerWithoutCommandRunsItsImagesOwn) {
  // The test image's own command is /bin/sh, which reads an empty stdin and exits 0.
  const json d = finished(submit_process(
      R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers": [{"Image": "busybox"}]}})"));
  EXPECT_EQ(d["state"], "Succeeded") << d;
  EXPECT_FALSE(d["containers"][0].contains("Command")) << d;
  EXPECT_EQ(d["containers"][0]["exitCode"], 0);
}

TEST_F(RestProcess, AFailingContainerStopsTheOnesAfterIt) {
  const json d = finished(submit_process(sh_job({"echo oops >&2; exit 3", "echo never"})));
  EXPECT_EQ(d["state"], "Failed") << d;
  EXPECT_EQ(d["exitCode"], 3);
  EXPECT_EQ(d["containers"][0]["exitCode"], 3);
  EXPECT_TRUE(d["containers"][1]["exitCode"].is_null()) << d;
}

TEST_F(RestProcess, CancelIsIdempotentAndDoesNothingToAFinishedJob) {
  const std::string id = submit_process(sh_job({"sleep 60"}));
  eventually([&] { return details(id)["state"] == "Running"; }, std::chrono::seconds(60));
  const std::string cancel = "/api/process/job/" + id + "/cancel";
  HttpResult r = http("PUT", port_, cancel, {}, headers());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(finished(id)["state"], "Cancelled");
  r = http("PUT", port_, cancel, {}, headers());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["state"], "Cancelled");

  const std::string done = submit_process(kPlainExample);
  ASSERT_EQ(finished(done)["state"], "Succeeded");
  r = http("PUT", port_, "/api/process/job/" + done + "/cancel", {}, headers());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(details(done)["state"], "Succeeded");
}

TEST_F(RestProcess, EventsAsJsonAndAsServerSentEvents) {
  const std::string id = submit_process(kPlainExample);
  finished(id);
  const std::string path = "/api/process/job/" + id + "/events";
  HttpResult r = http("GET", port_, path, {}, headers());
  ASSERT_EQ(r.status, 200) << r.body;
  const json events = json::parse(r.body)["events"];
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["state"], "Succeeded");
  EXPECT_EQ(events.back()["jobId"], id);
  auto sse = headers();
  sse["Accept"] = "text/event-stream";
  r = http("GET", port_, path, {}, sse);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers["Content-Type"].find("text/event-stream"), std::string::npos);
  EXPECT_NE(r.body.find("event: job\ndata: "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"state\":\"Succeeded\""), std::string::npos) << r.body;
  EXPECT_EQ(http("GET", port_, "/api/process/job/not-a-job/events", {}, headers()).status, 404);
}

TEST_F(RestProcess, EveryStateChangeIsASignedWebhookOfTheProject) {
  const std::string id = submit_process(kPlainExample);
  ASSERT_EQ(finished(id)["state"], "Succeeded");
  std::vector<CallbackServer::Received> hooks;
  ASSERT_TRUE(eventually(
      [&] {
        hooks = receiver_.accepted("/hook");
        return !hooks.empty() && hooks.back().body["status"]["done"] == true;
      },
      std::chrono::seconds(30)));
  for (const auto& hook : hooks) {
    EXPECT_TRUE(hook.mac_ok) << hook.authorization;
    EXPECT_EQ(hook.body["request"]["contract"]["name"], "process");
    EXPECT_EQ(hook.body["request"]["contract"]["document"]["projectId"], kProject);
  }
  EXPECT_EQ(hooks.back().body["status"]["schedulerSpecficInformation"]["cuttle.state"],
            "Completed");
}

TEST_F(RestProcess, AKilledServiceLosesNothingOfARunningJob) {
  const std::string id = submit_process(
      sh_job({"sleep 2; echo first > /work/output/a.txt", "echo second >> /work/output/a.txt"}));
  ASSERT_TRUE(
      eventually([&] { return details(id)["state"] == "Running"; }, std::chrono::seconds(60)));
  service_->kill9();
  ASSERT_TRUE(service_->start(port_)) << service_->log();
  const json d = finished(id);
  EXPECT_EQ(d["state"], "Succeeded") << d;
  EXPECT_EQ(d["containers"][1]["exitCode"], 0);
  EXPECT_EQ(read_file(project_dir_ + "/results/a.txt"), "first\nsecond\n");
}

// The reference's examples once more with the containers run by podman inside Slurm jobs
// (tests/env/slurm.sh: a real single-node Slurm on this machine).
class RestProcessOnSlurm : public RestProcess {
 protected:
  void SetUp() override {
    CUTTLE_REQUIRE_ENV("CUTTLE_TEST_SLURM");
    RestProcess::SetUp();
  }
  void adjust(json& config) override {
    config["schedulers"]["slurm"] = {{"location", "slurm://"}};
    config["process"]["scheduler"] = "slurm";
  }
};

TEST_F(RestProcessOnSlurm, PlainAndPlatformExamplesRunInSlurmJobs) {
  const std::string plain = submit_process(kPlainExample);
  const std::string platform = submit_process(kPlatformExample);
  EXPECT_EQ(finished(plain)["state"], "Succeeded") << details(plain);
  const json d = finished(platform);
  ASSERT_EQ(d["state"], "Succeeded") << d;
  EXPECT_EQ(read_file(project_dir_ + "/workls.txt"), "input-a.txt\nsub\n");
  EXPECT_TRUE(fs::exists(project_dir_ + "/logs/" + platform + "/container-0.stdout.log"));
}

// The examples and several containers on kubernetes:// (the emulator of
// tests/env/kubernetes.sh, pods in its podman): one pod per job, the containers as its init
// containers then its main container sharing /work (docs/steps.md), the platform's files
// staged in and out through the API server.
class RestProcessOnKubernetes : public RestProcess {
 protected:
  void require() override {
    if (env("CUTTLE_TEST_K8S_KUBECONFIG").empty()) {
      if (container_test::in_ci()) FAIL() << "Kubernetes emulator not running";
      GTEST_SKIP() << "Kubernetes emulator not running: eval \"$(tests/env/kubernetes.sh start)\"";
    }
  }
  void adjust(json& config) override {
    config["schedulers"]["k8s"] = {
        {"location", "kubernetes://?namespace=" + env("CUTTLE_TEST_K8S_NAMESPACE")},
        {"properties",
         {{"kubeconfig", env("CUTTLE_TEST_K8S_KUBECONFIG")},
          {"logs.root", dir_.path() + "/k8s-logs"},
          {"cancel.grace", "2s"}}}};
    config["process"]["scheduler"] = "k8s";
    config["process"]["images"]["busybox"] = env("CUTTLE_TEST_K8S_IMAGE");
  }
};

TEST_F(RestProcessOnKubernetes, ExamplesAndSeveralContainersRunInOnePod) {
  const std::string plain = submit_process(kPlainExample);
  const std::string platform = submit_process(kPlatformExample);
  // Two containers sharing /work; the second fails, and the outputs and every log still
  // come back. (That a failure stops the containers after it is the conformance suite's
  // StepsTheFirstFailingStep..., on kubernetes:// too.)
  const std::string several =
      submit_process(sh_job({"echo first > /work/output/order.txt; echo out-0",
                             "echo second >> /work/output/order.txt; echo oops >&2; exit 3"}));
  EXPECT_EQ(finished(plain)["state"], "Succeeded") << details(plain);
  const json p = finished(platform);
  ASSERT_EQ(p["state"], "Succeeded") << p;
  EXPECT_EQ(read_file(project_dir_ + "/workls.txt"), "input-a.txt\nsub\n");
  EXPECT_TRUE(fs::exists(project_dir_ + "/logs/" + platform + "/container-0.stdout.log"));
  const json s = finished(several);
  EXPECT_EQ(s["state"], "Failed") << s;
  EXPECT_EQ(s["exitCode"], 3);
  EXPECT_EQ(s["containers"][0]["exitCode"], 0);
  EXPECT_EQ(s["containers"][1]["exitCode"], 3);
  EXPECT_EQ(read_file(project_dir_ + "/results/order.txt"), "first\nsecond\n");
  const std::string logs = project_dir_ + "/results/logs/" + several;
  EXPECT_EQ(read_file(logs + "/container-0.stdout.log"), "out-0\n");
  EXPECT_EQ(read_file(logs + "/container-1.stderr.log"), "oops\n");
}

}  // namespace
}  // namespace cuttle::rest::testing
