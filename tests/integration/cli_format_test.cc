// What the `cuttle` command prints: one JSON document with --json (errors included),
// sub-second UTC timestamps, help per verb, version, usage on stderr, progress lines,
// and job descriptions read from JSON files.
#include <filesystem>
#include <fstream>
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cuttle/shell.h"
#include "cuttle/version.h"
#include "tests/integration/cli_fixture.h"

namespace cuttle {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Parses stdout as exactly one JSON document (nlohmann refuses trailing content).
nlohmann::json one_document(const CommandResult& r) {
  auto json = nlohmann::json::parse(r.stdout_text, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << "not one JSON document: " << r.stdout_text;
  return json;
}

TEST_F(CliTest, StatusJsonCarriesTheExitCodeOfEachStep) {
  const std::string file = dir_.path() + "/steps.json";
  std::ofstream(file) << R"({"steps": [{"executable": "/bin/sh", "arguments": ["-c", "exit 5"],
      "ignore_error": true}, {"executable": "/bin/sh", "arguments": ["-c", "exit 0"]}]})";
  auto r = cuttle({"submit", "--wait", "--json", "--from", file, "local://"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  auto json = one_document(r);
  EXPECT_EQ(json["step_exit_codes"], nlohmann::json::array({5, 0})) << r.stdout_text;
}

TEST_F(CliTest, SubmitWaitJsonIsOneDocumentAndTheJobsOutputGoesToStderr) {
  auto r =
      cuttle({"submit", "--wait", "--json", "local://", "--", "/bin/sh", "-c", "echo hi; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  auto json = one_document(r);
  EXPECT_EQ(json["state"], "Failed");
  EXPECT_EQ(json["exit_code"], 3);
  EXPECT_THAT(r.stderr_text, HasSubstr("hi\n"));
}

TEST_F(CliTest, TimestampsAreRfc3339UtcWithMilliseconds) {
  auto r = cuttle({"submit", "--wait", "--json", "local://", "--", "/bin/true"});
  auto json = one_document(r);
  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const char* key : {"submitted", "started", "finished"}) {
    ASSERT_TRUE(json[key].is_string()) << key << ": " << r.stdout_text;
    EXPECT_TRUE(std::regex_match(json[key].get<std::string>(), rfc3339)) << json[key];
  }
}

TEST_F(CliTest, CancelOfSeveralJobsIsOneJsonArray) {
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    ids.push_back(first_line(cuttle({"submit", detached(), "--", "/bin/sleep", "30"}).stdout_text));
  }
  auto r = cuttle({"cancel", "--json", ids[0], ids[1]});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto json = one_document(r);
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["state"], "Cancelled");
  EXPECT_EQ(json[1]["state"], "Cancelled");
}

TEST_F(CliTest, ErrorsUnderJsonAreOneJsonDocumentWithTheExitCode) {
  auto bad_usage = cuttle({"submit", "--json", "bogus://", "--", "true"});
  EXPECT_EQ(bad_usage.exit_code, 2);
  auto json = one_document(bad_usage);
  EXPECT_EQ(json["exit_code"], 2);
  EXPECT_THAT(json["error"]["message"].get<std::string>(), HasSubstr("bogus://"));
  EXPECT_EQ(json["error"]["kind"], "invalid argument");
  // status answers per job: a job not found is its element of the one array.
  auto missing = cuttle({"status", "--json", "local://", "no-such-job"});
  EXPECT_EQ(missing.exit_code, 1);
  auto answers = one_document(missing);
  ASSERT_EQ(answers.size(), 1u) << answers;
  EXPECT_EQ(answers[0]["id"], "no-such-job");
  EXPECT_EQ(answers[0]["error"]["kind"], "no such job");
}

TEST_F(CliTest, VersionInEveryForm) {
  const std::string expected = std::string("cuttle ") + kVersion + "\n";
  EXPECT_EQ(cuttle({"--version"}).stdout_text, expected);
  EXPECT_EQ(cuttle({"version"}).stdout_text, expected);
  auto json = cuttle({"version", "--json"});
  EXPECT_EQ(one_document(json)["version"], kVersion);
}

TEST_F(CliTest, VerbHelpIsThatVerbsHelp) {
  auto r = cuttle({"submit", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.stdout_text, StartsWith("usage: cuttle submit LOCATION"));
  EXPECT_THAT(r.stdout_text, HasSubstr("--from FILE"));
  EXPECT_THAT(cuttle({"help", "logs"}).stdout_text, StartsWith("usage: cuttle logs"));
  EXPECT_THAT(cuttle({"--help"}).stdout_text, StartsWith("usage: cuttle VERB"));
}

TEST_F(CliTest, BareCuttlePrintsUsageOnStderrAndExits2) {
  auto r = cuttle({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.stdout_text, "");
  EXPECT_THAT(r.stderr_text, StartsWith("usage: cuttle"));
}

TEST_F(CliTest, ManPageAndBashCompletionAreGeneratedFromTheHelp) {
  auto man = cuttle({"help", "man"});
  EXPECT_THAT(man.stdout_text, StartsWith(".TH CUTTLE 1"));
  EXPECT_THAT(man.stdout_text, HasSubstr("logs"));
  auto completion = cuttle({"help", "bash-completion"});
  EXPECT_THAT(completion.stdout_text, HasSubstr("complete -F _cuttle cuttle"));
  EXPECT_THAT(completion.stdout_text, HasSubstr("--follow"));
  const std::string file = dir_.path() + "/cuttle.bash";
  std::ofstream(file) << completion.stdout_text;
  EXPECT_EQ(runner_.run({"/bin/bash", "-n", file}).exit_code, 0) << "not valid bash";
  // Completing "cuttle lo" offers logs.
  auto offered = runner_.run({"/bin/bash", "-c",
                              "source " + quote(file) +
                                  "; COMP_WORDS=(cuttle lo); COMP_CWORD=1; _cuttle; echo "
                                  "\"${COMPREPLY[@]}\""});
  EXPECT_EQ(offered.stdout_text, "logs\n");
}

TEST_F(CliTest, ProgressIsPlainLinesWithTimesWhenNotOnATerminal) {
  auto r = cuttle({"submit", "--wait", "local://", "--", "/bin/sleep", "0.3"});
  ASSERT_EQ(r.exit_code, 0);
  const std::regex line(R"(cuttle: \d\d:\d\d:\d\d\.\d{3} local-\d+ Running after \d+\.\ds)");
  EXPECT_TRUE(std::regex_search(r.stderr_text, line)) << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr(" Completed after "));
  EXPECT_THAT(r.stderr_text, Not(HasSubstr("\033[")));
}

TEST_F(CliTest, ProgressOnATerminalShowsElapsedTime) {
  if (!std::filesystem::exists("/usr/bin/script")) GTEST_SKIP() << "no script(1)";
  // script(1) gives the command a pseudo-terminal; its output is what the terminal shows.
  auto r =
      runner_.run({"/usr/bin/script", "-qec",
                   quote_command({"/usr/bin/env", "XDG_STATE_HOME=" + dir_.path(), cuttle_binary(),
                                  "submit", "--wait", "local://", "--", "/bin/sleep", "1.5"}),
                   "/dev/null"});
  EXPECT_EQ(r.exit_code, 0) << r.stdout_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("still Running, 1s"));
  EXPECT_THAT(r.stdout_text, HasSubstr("Completed after 1."));
}

TEST_F(CliTest, SubmitFromAJobFileWithHostileArgumentsAndFlagsOverriding) {
  const std::string file = dir_.path() + "/job.json";
  std::ofstream(file) << nlohmann::json{
      {"executable", "/bin/sh"},
      {"arguments", {"-c", "echo \"$1|$GREETING\"; exit 5", "sh", "it's $(rm -rf /) `x`\nnext"}},
      {"environment", {{"GREETING", "from file"}}},
      {"max_runtime", "10m"}}.dump();
  auto r = cuttle({"submit", "--wait", "--from", file, "--env", "GREETING=flag", "local://"});
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "it's $(rm -rf /) `x`\nnext|flag\n");
}

TEST_F(CliTest, JobFileWithStepsRunsThemInOrderAndExitsWithTheFailingStepsCode) {
  const std::string file = dir_.path() + "/steps.json";
  std::ofstream(file) << nlohmann::json{
      {"steps",
       {{{"executable", "/bin/sh"}, {"arguments", {"-c", "echo one > shared.txt"}}},
        {{"executable", "/bin/sh"},
         {"arguments", {"-c", "cat shared.txt; echo \"$1\"; exit 4", "sh", "it's $(x) `y`"}}},
        {{"executable", "/bin/sh"}, {"arguments", {"-c", "echo never"}}}}},
      // The wrapper runs the steps, so their output is the sandbox's stdout.txt.
      {"stage_out",
       {{{"source", "stdout.txt"},
         {"destination",
          dir_.path() +
              "/out.txt"}}}}}.dump();
  auto r = cuttle({"submit", "--wait", "--from", file, "local://"});
  EXPECT_EQ(r.exit_code, 4) << r.stderr_text;
  EXPECT_EQ(testing::read_file(dir_.path() + "/out.txt"), "one\nit's $(x) `y`\n");
  std::ofstream(file) << R"({"steps": [{"executable": "true", "image": "x"}]})";
  EXPECT_THAT(cuttle({"submit", "--wait", "--from", file, "local://"}).stderr_text,
              HasSubstr("steps[0].image"));
}

TEST_F(CliTest, JobFileWithUnknownOrMistypedFieldIsRefusedNamingIt) {
  const std::string file = dir_.path() + "/job.json";
  std::ofstream(file) << R"({"executable": "/bin/true", "nmae": "x"})";
  auto r = cuttle({"submit", "--wait", "--from", file, "local://"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.stderr_text, HasSubstr("nmae"));
  std::ofstream(file) << R"({"executable": "/bin/true", "max_runtime": "10 parsecs"})";
  EXPECT_THAT(cuttle({"submit", "--wait", "--from", file, "local://"}).stderr_text,
              HasSubstr("max_runtime"));
  std::ofstream(file) << R"({"executable": )";
  EXPECT_THAT(cuttle({"submit", "--wait", "--from", file, "local://"}).stderr_text,
              HasSubstr("not valid JSON"));
}

}  // namespace
}  // namespace cuttle
