// GA4GH TES v1.1 against the real service, on the local scheduler and on slurm:// (when
// the test Slurm runs), each executor in podman: a task's inputs (content, file://,
// http://) reach /work, its outputs (plain and wildcard) reach their file:// URLs, its
// state, per-attempt logs and exit codes read as TES defines them, views cut what they
// should, list filters and paging, cancel, the same job through joblauncher, and a
// kill -9 of the service mid-run that loses nothing.
#include <signal.h>

#include <gtest/gtest.h>

#include <Poco/Net/HTTPServer.h>

#include "tests/integration/rest/tes_test_support.h"

namespace cuttle::rest::testing {
namespace {

// Serves one fixed body at every path (an http:// input).
class FileServer {
 public:
  explicit FileServer(std::string body) : body_(std::move(body)), port_(free_port()) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(body_),
                                                      Poco::Net::ServerSocket(port_), params);
    server_->start();
  }
  ~FileServer() { server_->stopAll(true); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(const std::string& body) : body_(body) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      if (request.getURI() == "/missing") {
        response.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        response.setContentLength(0);
        response.send();
        return;
      }
      response.setContentLength(static_cast<std::streamsize>(body_.size()));
      response.send() << body_;
    }

   private:
    const std::string& body_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(const std::string& body) : body_(body) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(body_);
    }

   private:
    const std::string& body_;
  };
  std::string body_;
  std::uint16_t port_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

class RestTes : public TesServiceTest, public ::testing::WithParamInterface<std::string> {
 protected:
  RestTes() : TesServiceTest("tes", GetParam()) {}
};

TEST_P(RestTes, ServiceInfoNamesTheTesArtifactAndItsStorage) {
  const HttpResult r = http("GET", port_, std::string(kTes) + "/service-info");
  ASSERT_EQ(r.status, 200) << r.body;
  const json info = json::parse(r.body);
  EXPECT_EQ(info["type"]["group"], "org.ga4gh");
  EXPECT_EQ(info["type"]["artifact"], "tes");
  EXPECT_EQ(info["type"]["version"], "1.1.0");
  EXPECT_EQ(info["storage"], json::array({"file://" + data()}));
  EXPECT_TRUE(info["organization"].contains("name"));
}

TEST_P(RestTes, InputsReachWorkAndOutputsReachTheirUrls) {
  write_file(data() + "/reads.txt", "from-a-file-url\n");
  fs::create_directories(data() + "/ref/sub");
  write_file(data() + "/ref/sub/genome.fa", ">chr1\n");
  FileServer server("from-http\n");
  json t = shell_task(
      "mkdir -p /work/out/deep && cat /work/in/greeting.txt /work/in/reads.txt "
      "/work/in/fetched.txt > /work/out/all.txt && ls /work/ref/sub > /work/out/deep/ref.txt && "
      "echo x > /work/out/deep/b.log && test -d /work/scratch && echo to-stdout && "
      "echo to-stderr >&2");
  t["name"] = "inputs and outputs";
  t["inputs"] = {
      {{"path", "/work/in/greeting.txt"}, {"content", "hello\n"}},
      {{"path", "/work/in/reads.txt"}, {"url", "file://" + data() + "/reads.txt"}},
      {{"path", "/work/ref"}, {"url", "file://" + data() + "/ref"}, {"type", "DIRECTORY"}},
      {{"path", "/work/in/fetched.txt"}, {"url", server.url("/fetched.txt")}}};
  t["outputs"] = {{{"path", "/work/out/all.txt"}, {"url", "file://" + data() + "/results/all.txt"}},
                  {{"path", "/work/out/deep/*.txt"},
                   {"path_prefix", "/work/out"},
                   {"url", "file://" + data() + "/wild"}}};
  t["volumes"] = {"/work/scratch"};
  const std::string id = create(t);
  const json done = finished(id);
  ASSERT_EQ(done["state"], "COMPLETE") << done.dump(2) << service_->log();
  EXPECT_EQ(read_file(data() + "/results/all.txt"), "hello\nfrom-a-file-url\nfrom-http\n");
  EXPECT_EQ(read_file(data() + "/wild/deep/ref.txt"), "genome.fa\n");
  EXPECT_FALSE(fs::exists(data() + "/wild/deep/b.log"));
  ASSERT_EQ(done["logs"].size(), 1u) << done.dump(2);
  const json& log = done["logs"][0];
  ASSERT_EQ(log["logs"].size(), 1u) << done.dump(2);
  EXPECT_EQ(log["logs"][0]["exit_code"], 0);
  EXPECT_EQ(log["logs"][0]["stdout"], "to-stdout\n");
  EXPECT_EQ(log["logs"][0]["stderr"], "to-stderr\n");
  EXPECT_TRUE(log.contains("start_time") && log.contains("end_time")) << log.dump(2);
  std::set<std::string> outputs;
  for (const auto& o : log["outputs"]) outputs.insert(o["path"].get<std::string>());
  EXPECT_EQ(outputs, (std::set<std::string>{"/work/out/all.txt", "/work/out/deep/ref.txt"}));
  for (const auto& o : log["outputs"]) {
    if (o["path"] == "/work/out/all.txt") {
      EXPECT_EQ(o["size_bytes"], "32");
    }
  }
  EXPECT_EQ(done["inputs"][0]["content"], "hello\n");
  EXPECT_EQ(done["name"], "inputs and outputs");
  EXPECT_FALSE(done.value("creation_time", "").empty());
}

TEST_P(RestTes, ViewsShowWhatTheSpecSays) {
  json t = shell_task("echo out");
  t["inputs"] = {{{"path", "/work/x"}, {"content", "secret"}}};
  const std::string id = create(t);
  ASSERT_EQ(finished(id)["state"], "COMPLETE");
  const json minimal = task(id, "MINIMAL");
  EXPECT_EQ(minimal, (json{{"id", id}, {"state", "COMPLETE"}}));
  const HttpResult defaulted = http("GET", port_, std::string(kTes) + "/tasks/" + id);
  EXPECT_EQ(json::parse(defaulted.body), minimal);
  const json basic = task(id, "BASIC");
  EXPECT_FALSE(basic["inputs"][0].contains("content")) << basic.dump(2);
  EXPECT_FALSE(basic["logs"][0]["logs"][0].contains("stdout")) << basic.dump(2);
  EXPECT_FALSE(basic["logs"][0].contains("system_logs")) << basic.dump(2);
  EXPECT_EQ(basic["executors"][0]["image"], busybox());
  const json full = task(id, "FULL");
  EXPECT_EQ(full["logs"][0]["logs"][0]["stdout"], "out\n");
  EXPECT_TRUE(full["logs"][0].contains("system_logs"));
  expect_refused(http("GET", port_, std::string(kTes) + "/tasks/" + id + "?view=ALL"), "view");
  EXPECT_EQ(http("GET", port_, std::string(kTes) + "/tasks/not-a-task").status, 404);
}

TEST_P(RestTes, AFailingExecutorIsAnExecutorErrorWithItsExitCode) {
  const std::string id = create(shell_task("echo failing >&2; exit 3"));
  const json done = finished(id);
  EXPECT_EQ(done["state"], "EXECUTOR_ERROR") << done.dump(2);
  ASSERT_FALSE(done["logs"].empty());
  EXPECT_EQ(done["logs"].back()["logs"][0]["exit_code"], 3) << done.dump(2);
  EXPECT_EQ(done["logs"].back()["logs"][0]["stderr"], "failing\n");
}

TEST_P(RestTes, ExecutorsRunInOrderInTheirImagesSharingWorkAndStopAtTheFirstFailure) {
  json t = shell_task("echo one > /work/shared.txt; echo first");
  t["executors"].push_back(
      {{"image", busybox()},
       {"command", {"/bin/sh", "-c", "cat /work/shared.txt; echo two >> /work/shared.txt; exit 2"}},
       {"env", {{"STEP", "2"}}}});
  t["executors"].push_back(
      {{"image", busybox()}, {"command", {"/bin/sh", "-c", "echo never > /work/never.txt"}}});
  t["outputs"] = {{{"path", "/work/shared.txt"}, {"url", "file://" + data() + "/shared.txt"}}};
  const json done = finished(create(t));
  EXPECT_EQ(done["state"], "EXECUTOR_ERROR") << done.dump(2);
  const json& logs = done["logs"].back()["logs"];
  ASSERT_EQ(logs.size(), 2u) << done.dump(2);  // the third never ran
  EXPECT_EQ(logs[0]["exit_code"], 0);
  EXPECT_EQ(logs[0]["stdout"], "first\n");
  EXPECT_EQ(logs[1]["exit_code"], 2);
  EXPECT_EQ(logs[1]["stdout"], "one\n");
  EXPECT_EQ(read_file(data() + "/shared.txt"), "one\ntwo\n");
  EXPECT_EQ(done["executors"].size(), 3u);
}

TEST_P(RestTes, IgnoreErrorGoesOnToTheNextExecutorAndAWorkdirIsInsideWork) {
  json t = shell_task("exit 3");
  t["executors"][0]["ignore_error"] = true;
  t["executors"].push_back({{"image", busybox()},
                            {"command", {"/bin/sh", "-c", "pwd > /work/pwd.txt"}},
                            {"workdir", "/work/sub"}});
  t["volumes"] = {"/work/sub"};
  t["outputs"] = {{{"path", "/work/pwd.txt"}, {"url", "file://" + data() + "/pwd.txt"}}};
  const json done = finished(create(t));
  EXPECT_EQ(done["state"], "COMPLETE") << done.dump(2);
  const json& logs = done["logs"].back()["logs"];
  ASSERT_EQ(logs.size(), 2u) << done.dump(2);
  EXPECT_EQ(logs[0]["exit_code"], 3);
  EXPECT_EQ(logs[1]["exit_code"], 0);
  EXPECT_EQ(read_file(data() + "/pwd.txt"), "/work/sub\n");
}

TEST_P(RestTes, ARetryAppendsATaskLog) {
  json t = shell_task("exit 4");
  t["resources"] = {{"backend_parameters", {{"retry_limit", "1"}}}};
  const std::string id = create(t);
  const json done = finished(id);
  EXPECT_EQ(done["state"], "EXECUTOR_ERROR") << done.dump(2);
  ASSERT_EQ(done["logs"].size(), 2u) << done.dump(2);
  EXPECT_EQ(done["logs"][1]["metadata"]["cuttle.attempt"], "2");
  EXPECT_EQ(done["logs"][1]["logs"][0]["exit_code"], 4);
}

TEST_P(RestTes, CancelStopsARunningTaskAndIsIdempotent) {
  const std::string id = create(shell_task("sleep 120"));
  ASSERT_TRUE(eventually([&] { return state(id) == "RUNNING"; }, std::chrono::seconds(60)))
      << task(id).dump(2);
  const std::string cancel = std::string(kTes) + "/tasks/" + id + ":cancel";
  const HttpResult r = http("POST", port_, cancel);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::object());
  // The answer waits a few seconds for the task to stop; one that takes longer (on Slurm
  // the sleep, the container's PID 1, ignores TERM until the grace ends) reads CANCELING
  // from then on, never RUNNING again.
  const std::string after = state(id);
  EXPECT_TRUE(after == "CANCELING" || after == "CANCELED") << after;
  EXPECT_EQ(finished(id)["state"], "CANCELED");
  EXPECT_EQ(http("POST", port_, cancel).status, 200);
  EXPECT_EQ(state(id), "CANCELED");
  EXPECT_EQ(
      http("POST", port_, std::string(kTes) + "/tasks/00000000-0000-0000-0000-000000000000:cancel")
          .status,
      404);
  // The colon is part of the segment: a GET of it is not a cancel.
  EXPECT_EQ(http("GET", port_, cancel).status, 404);
}

TEST_P(RestTes, ListFiltersByNamePrefixStateAndTagsAndPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    json t = shell_task(i == 2 ? "exit 1" : "true");
    t["name"] = (i == 0 ? "align-" : "call-") + std::to_string(i);
    t["tags"] = {{"WORKFLOW_ID", i < 2 ? "wf-1" : "wf-2"}, {"sample", std::to_string(i)}};
    ids.push_back(create(t));
  }
  for (const auto& id : ids) finished(id);
  auto list = [&](const std::string& query) {
    const HttpResult r = http("GET", port_, std::string(kTes) + "/tasks?" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  };
  auto ids_of = [](const json& page) {
    std::vector<std::string> out;
    for (const auto& t : page["tasks"]) out.push_back(t["id"]);
    return out;
  };
  EXPECT_EQ(ids_of(list("name_prefix=align-")), (std::vector<std::string>{ids[0]}));
  EXPECT_EQ(ids_of(list("tag_key=WORKFLOW_ID&tag_value=wf-1")),
            (std::vector<std::string>{ids[0], ids[1]}));
  EXPECT_EQ(ids_of(list("tag_key=WORKFLOW_ID")), ids);
  EXPECT_EQ(ids_of(list("tag_key=WORKFLOW_ID&tag_value=wf-1&tag_key=sample&tag_value=1")),
            (std::vector<std::string>{ids[1]}));
  EXPECT_EQ(ids_of(list("tag_key=missing")), std::vector<std::string>{});
  EXPECT_EQ(ids_of(list("state=EXECUTOR_ERROR")), (std::vector<std::string>{ids[2]}));
  const json minimal = list("page_size=10");
  EXPECT_EQ(minimal["tasks"][0].size(), 2u) << minimal.dump(2);  // id and state
  EXPECT_TRUE(list("view=BASIC")["tasks"][0].contains("executors"));
  // Paging: one task per page, each page's token leads to the next.
  std::vector<std::string> seen;
  std::string token;
  for (int page = 0; page < 5; ++page) {
    const json p = list("page_size=1" + (token.empty() ? "" : "&page_token=" + token));
    for (const auto& id : ids_of(p)) seen.push_back(id);
    token = p.value("next_page_token", "");
    if (token.empty()) break;
  }
  EXPECT_EQ(seen, ids);
  // The prefix is compared byte for byte in the store (no LIKE wildcards), in characters
  // for UTF-8; other contracts' jobs are not tasks to list, though each reads as one.
  json odd = shell_task("true");
  odd["name"] = "al_%\u00fc-odd";
  const std::string odd_id = create(odd);
  submit_job(port_, {{"jobdir", jobs()}, {"executable", "/bin/true"}, {"name", "align-jl"}});
  EXPECT_EQ(ids_of(list("name_prefix=al_%25")), (std::vector<std::string>{odd_id}));
  EXPECT_EQ(ids_of(list("name_prefix=al_%25%C3%BC")), (std::vector<std::string>{odd_id}));
  EXPECT_EQ(ids_of(list("name_prefix=al_%25%C3")), std::vector<std::string>{});  // not UTF-8
  EXPECT_EQ(ids_of(list("name_prefix=align-")), (std::vector<std::string>{ids[0]}));
  for (const char* bad : {"page_size=0", "page_size=2048", "page_size=x"}) {
    expect_refused(http("GET", port_, std::string(kTes) + "/tasks?" + bad), "page_size");
  }
  expect_refused(http("GET", port_, std::string(kTes) + "/tasks?state=DONE"), "state");
  expect_refused(http("GET", port_, std::string(kTes) + "/tasks?page_token=zz"), "page_token");
}

TEST_P(RestTes, TheSameJobIsVisibleThroughJoblauncherAndTes) {
  const std::string id = create(shell_task("exit 0"));
  ASSERT_EQ(finished(id)["state"], "COMPLETE");
  const json doc = job_document(port_, "/job/" + id);
  EXPECT_EQ(doc["status"]["state"], "DONE") << doc.dump(2);
  EXPECT_EQ(doc["request"]["contract"]["name"], "tes");
  // A joblauncher job, read as a TES task.
  const std::string path =
      submit_job(port_, {{"jobdir", jobs()}, {"executable", "/bin/true"}, {"name", "jl"}});
  const std::string jl = path.substr(path.rfind('/') + 1);
  ASSERT_EQ(finished(jl)["state"], "COMPLETE");
  const json as_task = task(jl, "BASIC");
  EXPECT_EQ(as_task["name"], "jl");
  EXPECT_EQ(as_task["executors"][0]["command"], json::array({"/bin/true"}));
}

TEST_P(RestTes, BackendParametersUnknownWarnOrFailWhenStrict) {
  json t = shell_task("true");
  t["resources"] = {{"cpu_cores", 1},
                    {"ram_gb", 0.1},
                    {"backend_parameters", {{"VmSize", "Standard_D64_v3"}, {"MAX_RUNTIME", "1h"}}}};
  const std::string id = create(t);
  const json done = finished(id);
  EXPECT_EQ(done["state"], "COMPLETE") << done.dump(2);
  EXPECT_EQ(done["resources"]["backend_parameters"], (json{{"MAX_RUNTIME", "1h"}}));
  EXPECT_NE(done["logs"][0]["system_logs"].dump().find("VmSize"), std::string::npos)
      << done.dump(2);
  t["resources"]["backend_parameters_strict"] = true;
  expect_refused(post_task(t), "resources.backend_parameters.VmSize");
}

TEST_P(RestTes, KillNineOfTheServiceMidRunLosesNothing) {
  json t = shell_task("sleep 3; echo survived > /work/out.txt; echo done");
  t["outputs"] = {{{"path", "/work/out.txt"}, {"url", "file://" + data() + "/survived.txt"}}};
  const std::string id = create(t);
  ASSERT_TRUE(eventually([&] { return state(id) == "RUNNING"; }, std::chrono::seconds(60)));
  service_->kill9();
  ASSERT_TRUE(service_->start(port_)) << service_->log();
  const json done = finished(id);
  EXPECT_EQ(done["state"], "COMPLETE") << done.dump(2) << service_->log();
  EXPECT_EQ(read_file(data() + "/survived.txt"), "survived\n");
  EXPECT_EQ(done["logs"][0]["logs"][0]["stdout"], "done\n");
}

// tests/env/tes-client: openapi-client-axios (npm) builds its client from the served
// /openapi.json and drives every TES operation; its dependencies come from the committed
// package-lock.json (npm ci), as the Kubernetes fidelity suite's do.
TEST_P(RestTes, AClientTheProjectDidNotWriteDrivesEveryOperation) {
  const char* source = std::getenv("CUTTLE_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  const std::string client = std::string(source) + "/tests/env/tes-client";
  if (!container_test::on_path("node") || !container_test::on_path("npm")) {
    if (in_ci()) FAIL() << "node and npm are needed (Debian: nodejs npm)";
    GTEST_SKIP() << "node or npm is not installed";
  }
  LocalRunner runner;
  CommandOptions options;
  options.timeout = std::chrono::minutes(5);
  // The local and slurm variants run side by side under ctest -j2, and `npm ci` empties
  // node_modules before it fills it: one install at a time, and none while complete.
  const auto installed = runner.run({"flock", client + "/node_modules.lock", "sh", "-c",
                                     "[ -f \"$1/node_modules/axios/package.json\" ] && "
                                     "[ -d \"$1/node_modules/openapi-client-axios\" ] || "
                                     "npm ci --prefix \"$1\" --no-audit --no-fund --loglevel=error",
                                     "sh", client},
                                    options);
  ASSERT_EQ(installed.exit_code, 0) << installed.stderr_text;
  const auto r = runner.run({"node", client + "/tes_client_test.mjs",
                             "http://127.0.0.1:" + std::to_string(port_), data(), busybox()},
                            options);
  EXPECT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text << service_->log();
  EXPECT_NE(r.stdout_text.find("tes-client: 13 passed, 0 failed"), std::string::npos)
      << r.stdout_text;
}

TEST_P(RestTes, TheExampleSessionRunsToComplete) {
  const char* source = std::getenv("CUTTLE_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  CommandOptions options;
  options.timeout = std::chrono::minutes(2);
  const auto r = LocalRunner().run(
      {"/usr/bin/env", "-C", data(), "CUTTLE_URL=http://127.0.0.1:" + std::to_string(port_),
       "IMAGE=" + busybox(), "sh", std::string(source) + "/examples/rest/tes-session.sh"},
      options);
  EXPECT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text << service_->log();
  EXPECT_EQ(read_file(data() + "/tes-out/count.txt"), "5\n");
}

INSTANTIATE_TEST_SUITE_P(Schedulers, RestTes, ::testing::Values("local", "slurm"),
                         [](const auto& param) { return param.param; });

// Refusals need no scheduler run: one service, every bad field named.
// The executors of a task as the steps of one pod on kubernetes:// (the emulator of
// tests/env/kubernetes.sh): inputs of every kind staged in through the API server, the
// executors in order sharing /work, ignore_error, a workdir, outputs (plain and
// wildcard) and each executor's stdout/stderr back. (A failing container that stops the
// ones after it on kubernetes:// is rest_process_test's.)
class RestTesOnKubernetes : public TesServiceTest {
 protected:
  RestTesOnKubernetes() : TesServiceTest("tes-k8s", "kubernetes") {}
};

TEST_F(RestTesOnKubernetes, ExecutorsRunAsTheStepsOfOnePodWithTheirInputsAndOutputs) {
  write_file(data() + "/reads.txt", "from-a-file-url\n");
  FileServer server("from-http\n");
  json t = shell_task(
      "cat /work/in/greeting.txt /work/in/reads.txt /work/in/fetched.txt > /work/shared.txt; "
      "echo first; echo two >&2; exit 3");
  t["executors"][0]["ignore_error"] = true;
  t["executors"].push_back(
      {{"image", busybox()},
       {"command", {"/bin/sh", "-c", "mkdir -p /work/out; pwd > /work/out/pwd.txt; echo $STEP"}},
       {"workdir", "/work/sub"},
       {"env", {{"STEP", "second $(not run)"}}}});
  t["inputs"] = {{{"path", "/work/in/greeting.txt"}, {"content", "hello\n"}},
                 {{"path", "/work/in/reads.txt"}, {"url", "file://" + data() + "/reads.txt"}},
                 {{"path", "/work/in/fetched.txt"}, {"url", server.url("/fetched.txt")}}};
  t["outputs"] = {{{"path", "/work/shared.txt"}, {"url", "file://" + data() + "/shared.txt"}},
                  {{"path", "/work/out/*.txt"},
                   {"path_prefix", "/work/out"},
                   {"url", "file://" + data() + "/wild"}}};
  const std::string ok = create(t);
  const json done = finished(ok);
  ASSERT_EQ(done["state"], "COMPLETE") << done.dump(2) << service_->log();
  EXPECT_EQ(read_file(data() + "/shared.txt"), "hello\nfrom-a-file-url\nfrom-http\n");
  EXPECT_EQ(read_file(data() + "/wild/pwd.txt"), "/work/sub\n");
  const json& logs = done["logs"].back()["logs"];
  ASSERT_EQ(logs.size(), 2u) << done.dump(2);
  EXPECT_EQ(logs[0]["exit_code"], 3);
  EXPECT_EQ(logs[0]["stdout"], "first\n");
  EXPECT_EQ(logs[0]["stderr"], "two\n");
  EXPECT_EQ(logs[1]["exit_code"], 0);
  EXPECT_EQ(logs[1]["stdout"], "second $(not run)\n");
}

class RestTesRefusals : public TesServiceTest {
 protected:
  RestTesRefusals() : TesServiceTest("tes-refusals", "local") {}
};

TEST_F(RestTesRefusals, EveryBadFieldIsA400NamingIt) {
  write_file(data() + "/in.txt", "x");
  fs::create_symlink("/etc/passwd", data() + "/escape");
  FileServer server("x");
  auto with = [](const std::function<void(json&)>& change) {
    json t = shell_task("true");
    change(t);
    return t;
  };
  const std::vector<std::pair<json, std::string>> cases = {
      {json::object(), "executors"},
      {with([](json& t) { t["executors"] = json::array(); }), "executors"},
      {with([](json& t) { t["executors"][0].erase("image"); }), "executors[0].image"},
      {with([](json& t) { t["executors"][0]["image"] = "-v /:/host"; }), "executors[0].image"},
      {with([](json& t) { t["executors"][0]["command"] = json::array(); }), "executors[0].command"},
      {with([](json& t) { t["executors"][0]["command"] = {1}; }), "executors[0].command[0]"},
      {with([](json& t) {
         t["executors"][0]["env"] = {{"1BAD", "x"}};
       }),
       "executors[0].env.1BAD"},
      {with([](json& t) {
         t["executors"][0]["env"] = {{"A", 1}};
       }),
       "executors[0].env.A"},
      {with([](json& t) { t["executors"][0]["stdout"] = "/tmp/out"; }), "executors[0].stdout"},
      {with([](json& t) { t["executors"][0]["stdin"] = "relative"; }), "executors[0].stdin"},
      {with([](json& t) { t["executors"][0]["workdir"] = "/data"; }), "executors[0].workdir"},
      {with([](json& t) {
         t["executors"].push_back({{"image", "x"}, {"command", {"a"}}, {"stdin", "/in"}});
       }),
       "executors[1].stdin"},
      {with([](json& t) { t["executors"][0]["ignore_error"] = "yes"; }),
       "executors[0].ignore_error"},
      {with([](json& t) { t["name"] = 5; }), "name"},
      {with([](json& t) {
         t["tags"] = {{"a", {1}}};
       }),
       "tags.a"},
      {with([](json& t) {
         t["inputs"] = {{{"url", "file:///x"}}};
       }),
       "inputs[0].path"},
      {with([](json& t) {
         t["inputs"] = {{{"path", "/data/x"}, {"content", "x"}}};
       }),
       "inputs[0].path"},
      {with([](json& t) {
         t["inputs"] = {{{"path", "/work/../etc/x"}, {"content", "x"}}};
       }),
       "inputs[0].path"},
      {with([](json& t) {
         t["inputs"] = {{{"path", "/work/x"}}};
       }),
       "inputs[0].url"},
      {with([](json& t) {
         t["inputs"] = {{{"path", "/work/x"}, {"url", "s3://b/k"}}};
       }),
       "inputs[0].url"},
      {with([](json& t) {
         t["inputs"] = {{{"path", "/work/x"}, {"url", "file:///etc/passwd"}}};
       }),
       "inputs[0].url"},
      {with([this](json& t) {
         t["inputs"] = {{{"path", "/work/x"}, {"url", "file://" + data() + "/escape"}}};
       }),
       "inputs[0].url"},
      {with([this](json& t) {
         t["inputs"] = {{{"path", "/work/x"}, {"url", "file://" + data() + "/../../etc/passwd"}}};
       }),
       "inputs[0].url"},
      {with([this](json& t) {
         t["inputs"] = {{{"path", "/work/x"}, {"url", "file://" + data() + "/none"}}};
       }),
       "inputs[0].url"},
      {with([this](json& t) {
         t["inputs"] = {
             {{"path", "/work/x"}, {"url", "file://" + data() + "/in.txt"}, {"type", "DIRECTORY"}}};
       }),
       "inputs[0].url"},
      {with([this](json& t) {
         t["inputs"] = {
             {{"path", "/work/x"}, {"url", "file://" + data() + "/in.txt"}, {"type", "LINK"}}};
       }),
       "inputs[0].type"},
      {with([&server](json& t) {
         t["inputs"] = {{{"path", "/work/x"}, {"url", server.url("/missing")}}};
       }),
       "inputs[0].url"},
      {with([](json& t) {
         t["inputs"] = {{{"path", "/work/x"}, {"url", "http://127.0.0.1:1/closed"}}};
       }),
       "inputs[0].url"},
      {with([](json& t) {
         t["outputs"] = {{{"path", "/work/x"}, {"url", "file:///etc/x"}}};
       }),
       "outputs[0].url"},
      {with([](json& t) {
         t["outputs"] = {{{"path", "/work/x"}}};
       }),
       "outputs[0].url"},
      {with([this](json& t) {
         t["outputs"] = {{{"path", "/work/o/*.txt"}, {"url", "file://" + data() + "/o"}}};
       }),
       "outputs[0].path_prefix"},
      {with([this](json& t) {
         t["outputs"] = {{{"path", "/work/o/*.txt"},
                          {"path_prefix", "/elsewhere"},
                          {"url", "file://" + data() + "/o"}}};
       }),
       "outputs[0].path_prefix"},
      {with([](json& t) { t["volumes"] = {"/vol/A"}; }), "volumes[0]"},
      {with([](json& t) {
         t["resources"] = {{"cpu_cores", 0}};
       }),
       "resources.cpu_cores"},
      {with([](json& t) {
         t["resources"] = {{"cpu_cores", 1.5}};
       }),
       "resources.cpu_cores"},
      {with([](json& t) {
         t["resources"] = {{"ram_gb", "8"}};
       }),
       "resources.ram_gb"},
      {with([](json& t) {
         t["resources"] = {{"ram_gb", -1}};
       }),
       "resources.ram_gb"},
      {with([](json& t) {
         t["resources"] = {{"zones", "eu"}};
       }),
       "resources.zones"},
      {with([](json& t) {
         t["resources"] = {{"preemptible", 1}};
       }),
       "resources.preemptible"},
      {with([](json& t) {
         t["resources"] = {{"backend_parameters", {{"max_runtime", "soon"}}}};
       }),
       "resources.backend_parameters.max_runtime"},
      {with([](json& t) {
         t["resources"] = {{"backend_parameters", {{"scheduler", "nope"}}}};
       }),
       "resources.backend_parameters.scheduler"},
      {with([](json& t) {
         t["resources"] = {{"backend_parameters", {{"retry_limit", "-1"}}}};
       }),
       "resources.backend_parameters.retry_limit"},
  };
  for (const auto& [body, field] : cases) {
    SCOPED_TRACE(body.dump());
    expect_refused(post_task(body), field);
  }
  expect_refused(http("POST", port_, std::string(kTes) + "/tasks", "{\"executors\": "), "(body)");
  expect_refused(http("POST", port_, std::string(kTes) + "/tasks", "[]"), "(body)");
  // Nothing was accepted, and nothing was left in the staging directory.
  EXPECT_EQ(json::parse(http("GET", port_, std::string(kTes) + "/tasks").body)["tasks"].size(), 0u);
  EXPECT_TRUE(!fs::exists(dir_.path() + "/state/tes") || fs::is_empty(dir_.path() + "/state/tes"));
}

TEST_F(RestTesRefusals, TheBearerTokenGuardsTesLikeEveryRoute) {
  service_->stop();
  json config = tes_config(dir_.path(), port_, "local");
  config["auth"] = {{"tokens", {{{"name", "t"}, {"sha256", sha256_hex("s3cret")}}}}};
  start(config);
  EXPECT_EQ(http("GET", port_, std::string(kTes) + "/tasks").status, 401);
  EXPECT_EQ(post_task(shell_task("true")).status, 401);
  EXPECT_EQ(http("GET", port_, std::string(kTes) + "/service-info").status, 401);
  EXPECT_EQ(
      http("GET", port_, std::string(kTes) + "/tasks", {}, {{"Authorization", "Bearer s3cret"}})
          .status,
      200);
}

// A cancel that takes longer than the answer's wait: the job ignores TERM and the
// scheduler's grace is long. From the answer until it stops the task reads CANCELING
// (recorded with its state, so every instance and a restart read the same), then CANCELED.
class RestTesCanceling : public TesServiceTest {
 protected:
  RestTesCanceling() : TesServiceTest("tes-canceling", "local") {}
  void SetUp() override {
    json config = tes_config(dir_.path(), port_, "local");
    config["schedulers"]["local"]["properties"]["cancel.grace"] = "60s";
    fs::create_directories(data());
    start(config);
  }
};

// (A joblauncher job read as a task: TES's own run in containers, whose runtime may stop
// them at once; a host job holds the slow stop deterministically.)
TEST_F(RestTesCanceling, ATaskStoppingSlowlyReadsCancelingUntilItStops) {
  const std::string path = submit("trap '' TERM; sleep 60");
  ASSERT_TRUE(wait_state(path, "RUNNING")) << doc(path).dump(2);
  const std::string id = path.substr(path.rfind('/') + 1);
  const std::string sandbox = doc(path)["status"]["schedulerSpecficInformation"]["sandbox"];
  EXPECT_EQ(http("POST", port_, std::string(kTes) + "/tasks/" + id + ":cancel").status, 200);
  EXPECT_EQ(state(id), "CANCELING");
  EXPECT_EQ(doc(path)["status"]["schedulerSpecficInformation"]["cuttle.cancel_requested"], "true");
  // The job stops (here: its process group is killed); the record then says CANCELED.
  const std::string pid = read_file(sandbox + "/.cuttle/pid");
  ASSERT_FALSE(pid.empty());
  ::kill(-std::stoi(pid), SIGKILL);
  EXPECT_TRUE(eventually([&] { return state(id) == "CANCELED"; }, std::chrono::seconds(30)))
      << task(id).dump(2);
  EXPECT_FALSE(
      doc(path)["status"]["schedulerSpecficInformation"].contains("cuttle.cancel_requested"));
}

}  // namespace
}  // namespace cuttle::rest::testing
