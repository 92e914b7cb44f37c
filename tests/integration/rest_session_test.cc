// The joblauncher README's session, replayed with the real curl against the real service
// binary: the myjob directory, query.json, submit -> 201 + Location and an empty body,
// status while running and when done (output_file back in jobdir), cancel -> KILLED.
#include <gtest/gtest.h>

#include <regex>

#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {
namespace {

// On the local scheduler, and once more with the jobs run by the real Slurm of
// tests/env/slurm.sh (the same session: the contract does not change with the scheduler).
class ReadmeSession : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    json config;
    dir_ = std::make_unique<TempDir>("session");
    port_ = free_port();
    config = base_config(dir_->path(), port_);
    if (GetParam() == "slurm") {
      CUTTLE_REQUIRE_ENV("CUTTLE_TEST_SLURM");
      config["schedulers"] = {{"slurm", {{"location", "slurm://"}}}};
    }
    fs::create_directories(dir_->path() + "/jobs/myjob");
    write_file(dir_->path() + "/config.json", config.dump(2));
    service_ = std::make_unique<ServiceProcess>(dir_->path() + "/config.json",
                                                dir_->path() + "/service.log");
    ASSERT_TRUE(service_->start(port_)) << service_->log();
    base_ = "http://localhost:" + std::to_string(port_);
  }
  void TearDown() override {
    if (service_) {
      EXPECT_EQ(service_->stop(), 0) << service_->log();
    }
  }

  // mkdir myjob; cd myjob; echo 'Lorem ipsum' > input_file; echo '...' > runme.sh
  std::string make_myjob(const std::string& script) {
    const std::string myjob = dir_->path() + "/jobs/myjob";
    write_file(myjob + "/input_file", "Lorem ipsum\n");
    write_file(myjob + "/runme.sh", script + "\n");
    const std::string query = json{{"jobdir", myjob + "/"},
                                   {"executable", "/bin/sh"},
                                   {"prestaged", {"runme.sh", "input_file"}},
                                   {"poststaged", {"output_file"}},
                                   {"stderr", "stderr.txt"},
                                   {"stdout", "stdout.txt"},
                                   {"arguments", {"runme.sh"}},
                                   {"status_callback_url", "http://localhost/job/myjob/status"}}
                                  .dump(3);
    write_file(myjob + "/query.json", query);
    return myjob;
  }

  CommandResult curl(std::vector<std::string> args, const std::string& cwd) {
    std::vector<std::string> argv = {"/usr/bin/env", "-C", cwd, "curl", "-s", "--max-time", "20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return runner_.run(argv);
  }

  // curl -H "Content-Type: application/json" -H 'Accept: application/json' -i -X POST -d
  // @query.json http://localhost:9998/job
  std::string submit(const std::string& myjob) {
    auto r = curl({"-H", "Content-Type: application/json", "-H", "Accept: application/json", "-i",
                   "-X", "POST", "-d", "@query.json", base_ + "/job"},
                  myjob);
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(r.stdout_text, std::regex("^HTTP/1\\.1 201 Created\r\n")))
        << r.stdout_text;
    EXPECT_TRUE(std::regex_search(r.stdout_text, std::regex("\r\nContent-Length: 0\r\n")));
    EXPECT_TRUE(
        std::regex_search(r.stdout_text, std::regex("\r\nContent-Type: application/json\r\n")));
    EXPECT_TRUE(std::regex_search(r.stdout_text, std::regex("\r\n\r\n$"))) << "body must be empty";
    const std::regex location(
        "\r\nLocation: (" + base_ +
        "/job/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\r\n");
    if (!std::regex_search(r.stdout_text, m, location)) {
      ADD_FAILURE() << "no Location in: " << r.stdout_text;
      return {};
    }
    return m[1];
  }

  // curl -H "Content-Type: application/json" -H 'Accept: application/json' <location>
  json status(const std::string& location) {
    auto r =
        curl({"-H", "Content-Type: application/json", "-H", "Accept: application/json", location},
             dir_->path());
    EXPECT_EQ(r.exit_code, 0);
    return json::parse(r.stdout_text, nullptr, false);
  }

  json wait_for_state(const std::string& location, const std::string& state) {
    json doc;
    eventually(
        [&] {
          doc = status(location);
          return doc.is_object() && doc["status"]["state"] == state;
        },
        std::chrono::seconds(30));
    return doc;
  }

  static void expect_contract_shape(const json& doc) {
    ASSERT_TRUE(doc.is_object()) << doc;
    ASSERT_EQ(doc.size(), 2u) << doc;
    ASSERT_TRUE(doc.contains("request"));
    const json& s = doc["status"];
    for (const char* key :
         {"state", "exitCode", "exception", "running", "done", "schedulerSpecficInformation"}) {
      EXPECT_TRUE(s.contains(key)) << key << " missing in " << s;
    }
    EXPECT_EQ(s.size(), 6u) << s;
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ServiceProcess> service_;
  std::uint16_t port_ = 0;
  std::string base_;
  LocalRunner runner_;
};

TEST_P(ReadmeSession, SubmitRunsTheJobAndBringsOutputBackIntoJobdir) {
  const std::string myjob = make_myjob("hostname;date;wc -l input_file > output_file");
  const std::string location = submit(myjob);
  ASSERT_FALSE(location.empty());

  const json done = wait_for_state(location, "DONE");
  expect_contract_shape(done);
  EXPECT_EQ(done["status"]["exitCode"], 0);
  EXPECT_EQ(done["status"]["exception"], nullptr);
  EXPECT_EQ(done["status"]["running"], false);
  EXPECT_EQ(done["status"]["done"], true);
  EXPECT_EQ(done["request"]["jobdir"], myjob + "/");
  EXPECT_EQ(done["request"]["executable"], "/bin/sh");
  EXPECT_EQ(done["request"]["arguments"], json({"runme.sh"}));
  EXPECT_EQ(done["request"]["prestaged"], json({"runme.sh", "input_file"}));
  EXPECT_EQ(done["request"]["poststaged"], json({"output_file"}));
  EXPECT_EQ(done["request"]["stdout"], "stdout.txt");
  EXPECT_EQ(done["request"]["stderr"], "stderr.txt");
  EXPECT_EQ(done["request"]["status_callback_url"], "http://localhost/job/myjob/status");

  EXPECT_EQ(read_file(myjob + "/output_file"), "1 input_file\n");
  EXPECT_FALSE(read_file(myjob + "/stdout.txt").empty());
  EXPECT_TRUE(fs::exists(myjob + "/stderr.txt"));

  // GET /job lists the job's URL.
  auto list = curl({"-H", "Accept: application/json", base_ + "/job"}, myjob);
  EXPECT_EQ(json::parse(list.stdout_text), json::array({location}));
}

TEST_P(ReadmeSession, StatusWhileRunningThenDeleteKillsAndCleansTheSandbox) {
  const std::string myjob = make_myjob("sleep 60; wc -l input_file > output_file");
  const std::string location = submit(myjob);
  ASSERT_FALSE(location.empty());

  const json running = wait_for_state(location, "RUNNING");
  expect_contract_shape(running);
  EXPECT_EQ(running["status"]["exitCode"], nullptr);
  EXPECT_EQ(running["status"]["exception"], nullptr);
  EXPECT_EQ(running["status"]["running"], true);
  EXPECT_EQ(running["status"]["done"], false);
  const std::string sandbox =
      running["status"]["schedulerSpecficInformation"].value("sandbox", std::string());

  // curl -H "Content-Type: application/json" -H 'Accept: application/json' -X DELETE <location>
  auto r = curl({"-H", "Content-Type: application/json", "-H", "Accept: application/json", "-X",
                 "DELETE", "-o", "/dev/null", "-w", "%{http_code}", location},
                myjob);
  EXPECT_EQ(r.stdout_text, "204");

  const json killed = wait_for_state(location, "KILLED");
  expect_contract_shape(killed);
  EXPECT_EQ(killed["status"]["running"], false);
  EXPECT_EQ(killed["status"]["done"], true);
  EXPECT_EQ(killed["status"]["exception"], "Process cancelled by user.");
  EXPECT_EQ(killed["status"]["exitCode"], nullptr);
  EXPECT_FALSE(fs::exists(myjob + "/output_file"));
  // The sandbox goes on every scheduler (on slurm:// through the adaptor's file system:
  // the slurm variant found it kept before).
  EXPECT_FALSE(sandbox.empty());
  if (!sandbox.empty()) {
    EXPECT_TRUE(eventually([&] { return !fs::exists(sandbox); }, std::chrono::seconds(10)))
        << "sandbox kept: " << sandbox;
  }

  // Cancelling again is harmless and changes nothing.
  auto again = curl({"-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}", location}, myjob);
  EXPECT_EQ(again.stdout_text, "204");
  EXPECT_EQ(status(location)["status"]["state"], "KILLED");
}

TEST_P(ReadmeSession, UnknownJobIs404WithAJsonReason) {
  auto r = curl({"-i", base_ + "/job/00000000-0000-0000-0000-000000000000"}, dir_->path());
  EXPECT_NE(r.stdout_text.find("HTTP/1.1 404"), std::string::npos) << r.stdout_text;
  const auto body = json::parse(r.stdout_text.substr(r.stdout_text.find("\r\n\r\n") + 4));
  EXPECT_EQ(body["field"], "id");
}

INSTANTIATE_TEST_SUITE_P(Schedulers, ReadmeSession, ::testing::Values("local", "slurm"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace cuttle::rest::testing
