// `cuttle status A B C` on Slurm and Torque (Slurm's Torque wrappers) asks each scheduler
// once for all the ids — counted by shims that log every scheduler command before running
// the real one — and answers every id on its own line: a job the scheduler does not know
// is an error line naming it, and the others are still answered.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/cli_fixture.h"

namespace cuttle {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kSchedulerCommands = {
    "squeue", "sacct", "scontrol", "sbatch", "scancel", "sinfo", "qstat", "qsub", "qdel"};

// The first executable `name` on PATH.
std::string real_binary(const std::string& name) {
  std::stringstream path(testing::env("PATH"));
  for (std::string dir; std::getline(path, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

class CliBatchStatusTest : public CliTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    const char* needed = GetParam() == "torque://" ? "CUTTLE_TEST_TORQUE" : "CUTTLE_TEST_SLURM";
    if (testing::env(needed).empty()) {
      if (testing::in_ci()) FAIL() << needed << " not set";
      GTEST_SKIP() << "no test Slurm: run eval \"$(tests/env/slurm.sh start)\" first";
    }
    // Each shim logs its command line, then runs the real command.
    const std::string shims = dir_.path() + "/shims";
    ASSERT_EQ(::mkdir(shims.c_str(), 0755), 0);
    for (const std::string& name : kSchedulerCommands) {
      const std::string real = real_binary(name);
      ASSERT_FALSE(real.empty()) << name << " is not on PATH";
      testing::write_file(shims + "/" + name, "#!/bin/sh\necho \"" + name + " $*\" >> '" + log_ +
                                                  "'\nexec '" + real + "' \"$@\"\n");
      ASSERT_EQ(::chmod((shims + "/" + name).c_str(), 0755), 0);
    }
    environment_ = {"PATH=" + shims + ":" + testing::env("PATH")};
  }

  void TearDown() override {
    for (const std::string& id : submitted_) runner_.run({"scancel", id});
  }

  std::string sandbox_root() const { return "sandbox.root=" + dir_.path() + "/jobs"; }

  std::string submit(const std::vector<std::string>& command) {
    std::vector<std::string> args{"submit", GetParam(), "-p", sandbox_root(), "--"};
    args.insert(args.end(), command.begin(), command.end());
    auto r = cuttle(args);
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    submitted_.push_back(first_line(r.stdout_text));
    return submitted_.back();
  }

  // Waits until the scheduler's queue no longer lists job `id` (MinJobAge in
  // tests/env/slurm.sh, plus the controller's purge interval).
  void wait_until_forgotten(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = runner_.run({"squeue", "--noheader", "--states=all", "--jobs=" + id, "-o", "%i"});
      if (r.stdout_text.find(id) == std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    FAIL() << "job " << id << " is still in the queue after 60 s";
  }

  // The scheduler commands run since the last call, one line each.
  std::vector<std::string> commands_run() {
    std::vector<std::string> lines;
    std::stringstream text(testing::read_file(log_));
    for (std::string line; std::getline(text, line);) lines.push_back(line);
    testing::write_file(log_, "");
    return lines;
  }

  static std::size_t count(const std::vector<std::string>& lines, const std::string& prefix) {
    return std::count_if(lines.begin(), lines.end(),
                         [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
  }

  // One status command for all ids: one squeue; Torque one qstat -f, after at most one
  // qstat -x that the wrappers refuse (each process learns the format once). At most one
  // accounting command; nothing per id.
  void expect_one_status_command(const std::vector<std::string>& commands) {
    std::string all;
    for (const auto& c : commands) all += c + "\n";
    if (GetParam() == "torque://") {
      EXPECT_EQ(count(commands, "qstat -f"), 1u) << all;
      EXPECT_LE(count(commands, "qstat -x"), 1u) << all;
      EXPECT_EQ(count(commands, "qstat"), count(commands, "qstat -f") + count(commands, "qstat -x"))
          << all;
    } else {
      EXPECT_EQ(count(commands, "squeue"), 1u) << all;
    }
    EXPECT_LE(count(commands, "sacct"), 1u) << all;
    EXPECT_EQ(count(commands, "scontrol"), 0u) << all;
  }

  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  const std::string log_ = dir_.path() + "/commands.log";
  std::vector<std::string> submitted_;
};

TEST_P(CliBatchStatusTest, ManyIdsAreOneStatusCommandAndAnUnknownOneHidesNoOther) {
  const std::string gone = submit({"/bin/true"});
  wait_until_forgotten(gone);
  const std::string a = submit({"/bin/sleep", "120"});
  const std::string b = submit({"/bin/sleep", "120"});
  commands_run();

  auto r = cuttle({"status", GetParam(), "-p", sandbox_root(), a, gone, "999999", b});
  expect_one_status_command(commands_run());
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  const std::vector<std::string> out = lines_of(r.stdout_text);
  ASSERT_EQ(out.size(), 4u) << r.stdout_text;  // the header, then the jobs found, in order
  EXPECT_EQ(out[1].rfind(a + "\t", 0), 0u) << out[1];
  EXPECT_EQ(out[2].rfind(gone + "\tCompleted\t0\t", 0), 0u) << out[2];
  EXPECT_EQ(out[3].rfind(b + "\t", 0), 0u) << out[3];
  const std::vector<std::string> errors = lines_of(r.stderr_text);
  ASSERT_EQ(errors.size(), 1u) << r.stderr_text;
  EXPECT_THAT(errors[0], HasSubstr("cuttle: no such job: 999999"));
}

TEST_P(CliBatchStatusTest, JsonAnswersEveryIdInOrderWithTheUnknownOnesAsErrors) {
  const std::string a = submit({"/bin/sleep", "120"});
  const std::string b = submit({"/bin/sleep", "120"});
  const std::string c = submit({"/bin/sleep", "120"});
  commands_run();

  auto r = cuttle(
      {"status", "--json", GetParam(), "-p", sandbox_root(), a, "999999", b, "not-a-job", c});
  expect_one_status_command(commands_run());
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  const auto answers = nlohmann::json::parse(r.stdout_text);
  ASSERT_EQ(answers.size(), 5u) << answers;
  const std::vector<std::string> ids = {a, "999999", b, "not-a-job", c};
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(answers[i]["id"], ids[i]) << answers;
  for (std::size_t i : {0, 2, 4}) {
    EXPECT_TRUE(answers[i].contains("state")) << answers[i];
    EXPECT_EQ(answers[i]["done"], false) << answers[i];
  }
  for (std::size_t i : {1, 3}) EXPECT_FALSE(answers[i].contains("state")) << answers[i];
  EXPECT_EQ(answers[1]["error"]["kind"], "no such job");
  const std::string scheduler = GetParam().substr(0, GetParam().find(':'));
  EXPECT_THAT(answers[3]["error"]["message"].get<std::string>(),
              HasSubstr("no such job: not-a-job: not a " + scheduler + " job id"));
  EXPECT_EQ(lines_of(r.stderr_text).size(), 2u) << r.stderr_text;
}

// Without a location the ids come from the job index, grouped by scheduler: still one
// status command, and an id the index does not hold is answered without one.
TEST_P(CliBatchStatusTest, IdsFromTheIndexAreAskedTogetherAndAnUnindexedOneIsNamed) {
  const std::string a = submit({"/bin/sleep", "120"});
  const std::string b = submit({"/bin/sleep", "120"});
  const std::string c = submit({"/bin/sleep", "120"});
  commands_run();

  auto r = cuttle({"status", a, b, "424242", c});
  expect_one_status_command(commands_run());
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_EQ(lines_of(r.stdout_text).size(), 4u) << r.stdout_text;
  EXPECT_THAT(r.stderr_text, HasSubstr("no such job: 424242 is not in this user's job index"));

  auto all = cuttle({"status", a, b, c});
  expect_one_status_command(commands_run());
  EXPECT_EQ(all.exit_code, 0) << all.stderr_text;
  EXPECT_EQ(all.stderr_text, "");
}

// "slurm" for "slurm://".
std::string scheme_name(const ::testing::TestParamInfo<std::string>& location) {
  return location.param.substr(0, location.param.find(':'));
}

INSTANTIATE_TEST_SUITE_P(SlurmAndTorque, CliBatchStatusTest,
                         ::testing::Values("slurm://", "torque://"), scheme_name);

}  // namespace
}  // namespace cuttle
