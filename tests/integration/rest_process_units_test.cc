// The container job service's request, read and translated without a service: member
// names in any case, RetryLimit forms, the reference's trailing comma, Containers as
// steps with their logs, platform inputs minus ExcludedFiles (no symbolic links), outputs
// confined to the project's directory, and the field each refusal names.
#include <filesystem>

#include <gtest/gtest.h>

#include "bindings/rest/job_request.h"
#include "bindings/rest/process_request.h"
#include "tests/unit/test_util.h"

namespace cuttle::rest {
namespace {

namespace fs = std::filesystem;
using cuttle::testing::write_file;

class ProcessRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.process.enabled = true;
    config_.process.platform_root = dir_.path() + "/platform";
    config_.process.images = {{"busybox", "localhost/busybox:latest"}};
    project_ = config_.process.platform_root + "/p1";
    fs::create_directories(project_ + "/sub");
    write_file(project_ + "/a.txt", "a");
    write_file(project_ + "/sub/b.txt", "b");
    write_file(project_ + "/sub/skip.txt", "x");
    write_file(project_ + "/somefile.txt", "x");
    fs::create_symlink("/etc/passwd", project_ + "/link");
  }
  ProcessSubmission parse(const std::string& body) {
    return parse_process_request(body, "p1", "job-1", config_);
  }
  std::string refused(const std::string& body, int status = 400) {
    try {
      parse(body);
    } catch (const RequestError& e) {
      EXPECT_EQ(e.status(), status) << e.what();
      return e.field();
    }
    return "(accepted)";
  }
  static std::string with(const std::string& rest) {
    return R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers": [{"Image": "busybox",
        "Command": ["sh", "-c", "true"]}]})" +
           rest + "}";
  }

  cuttle::testing::TempDir dir_;
  Config config_;
  std::string project_;
};

TEST_F(ProcessRequestTest, ContainersBecomeStepsWithTheirLogsAndTheMappedImage) {
  const ProcessSubmission s = parse(R"({"runtime": {"Type": "containerruntimespec", "CONTAINERS": [
      {"image": "busybox", "command": ["sh", "-c", "echo 1"]},
      {"Image": "quay.io/x/y:1", "Command": ["true"]}]},})");
  ASSERT_EQ(s.description.steps.size(), 2u);
  EXPECT_EQ(s.description.steps[0].container_image, "localhost/busybox:latest");
  EXPECT_EQ(s.description.steps[0].executable, "sh");
  EXPECT_EQ(s.description.steps[0].arguments, (std::vector<std::string>{"-c", "echo 1"}));
  EXPECT_EQ(s.description.steps[1].container_image, "quay.io/x/y:1");
  EXPECT_EQ(s.description.steps[1].stdout_path, process_log_name(1, false));
  EXPECT_EQ(s.description.retry_limit, 3);
  EXPECT_EQ(s.accepted["Runtime"]["Containers"][0]["Image"], "busybox");
  EXPECT_EQ(s.accepted["RetryLimit"], 3);
}

TEST_F(ProcessRequestTest, AContainerWithoutCommandRunsItsImagesOwn) {
  const ProcessSubmission s = parse(R"({"Runtime": {"type": "ContainerRuntimeSpec",
      "Containers": [{"Image": "busybox"}]}})");
  EXPECT_EQ(s.description.steps[0].executable, "");
  EXPECT_FALSE(s.accepted["Runtime"]["Containers"][0].contains("Command"));
}

TEST_F(ProcessRequestTest, RetryLimitIsANumberOrANumericString) {
  EXPECT_EQ(parse(with(R"(, "RetryLimit": "1")")).description.retry_limit, 1);
  EXPECT_EQ(parse(with(R"(, "retrylimit": 0)")).description.retry_limit, 0);
  EXPECT_EQ(refused(with(R"(, "RetryLimit": "1.5")")), "RetryLimit");
  EXPECT_EQ(refused(with(R"(, "RetryLimit": 101)")), "RetryLimit");
  EXPECT_EQ(refused(with(R"(, "RetryLimit": true)")), "RetryLimit");
  EXPECT_EQ(refused(with(R"(, "RetryLimit": 1, "retryLimit": 2)")), "RetryLimit");
}

TEST_F(ProcessRequestTest, InputsAreEveryPlatformFileMinusExcludedAndLinks) {
  const ProcessSubmission s = parse(with(R"(, "InputData": {"Locations": [{"type":
      "PlatformInputLocation", "ProjectId": "p1", "LocalPath": "input",
      "ExcludedFiles": ["somefile.txt", "sub/skip.txt"]}]})"));
  std::vector<std::string> destinations;
  for (const auto& e : s.description.stage_in) destinations.push_back(e.destination);
  EXPECT_EQ(destinations, (std::vector<std::string>{"input/a.txt", "input/sub/b.txt"}));
  EXPECT_EQ(s.description.stage_in[0].source, project_ + "/a.txt");
  EXPECT_EQ(refused(with(R"(, "InputData": {"Locations": [{"type": "PlatformInputLocation",
      "ProjectId": "p2", "LocalPath": "in"}]})"),
                    403),
            "InputData.Locations[0].ProjectId");
  EXPECT_EQ(refused(with(R"(, "InputData": {"Locations": [{"type": "PlatformInputLocation",
      "ProjectId": "p1", "LocalPath": "../x"}]})")),
            "InputData.Locations[0].LocalPath");
}

TEST_F(ProcessRequestTest, OutputsGoUnderTheProjectWithEveryContainersLogs) {
  const ProcessSubmission s = parse(with(R"(, "OutputData": {"Locations": [{"type":
      "PlatformOutputLocation", "LocalPath": "output", "RelativePlatformPath": "res/1"}]})"));
  ASSERT_EQ(s.description.stage_out.size(), 3u);
  EXPECT_EQ(s.description.stage_out[0].source, "output/");
  EXPECT_EQ(s.description.stage_out[0].destination, project_ + "/res/1");
  EXPECT_EQ(s.description.stage_out[1].destination,
            project_ + "/res/1/logs/job-1/container-0.stdout.log");
  fs::create_symlink("/tmp", project_ + "/out");
  EXPECT_EQ(refused(with(R"(, "OutputData": {"Locations": [{"type": "PlatformOutputLocation",
      "LocalPath": "o", "RelativePlatformPath": "out/x"}]})")),
            "OutputData.Locations[0].RelativePlatformPath");
  EXPECT_EQ(refused(with(R"(, "OutputData": {"Locations": [{"type": "PlatformOutputLocation",
      "LocalPath": "", "RelativePlatformPath": ""}]})")),
            "OutputData.Locations[0].LocalPath");
}

TEST_F(ProcessRequestTest, MalformedInputNamesTheField) {
  EXPECT_EQ(refused("not json"), "(body)");
  EXPECT_EQ(refused(R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers": [
      {"Image": "busybox", "Command": ["sh", 3]}]}})"),
            "Runtime.Containers[0].Command[1]");
  EXPECT_EQ(refused(R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers": [
      {"Image": "-v", "Command": ["true"]}]}})"),
            "Runtime.Containers[0].Image");
  EXPECT_EQ(refused(R"({"Runtime": {"type": "ContainerRuntimeSpec", "Containers": [
      {"Image": "busybox", "Command": ["true"], "Resources": {}}]}})"),
            "Runtime.Containers[0].Resources");
  EXPECT_EQ(refused(with(R"(, "OutputData": {"Locations": [{"type": "S3", "LocalPath": "o"}]})")),
            "OutputData.Locations[0].type");
}

TEST(ProcessTrailingCommas, OnlyCommasBeforeAClosingBracketOutsideStringsGo) {
  EXPECT_EQ(without_trailing_commas(R"({"a": [1, 2, ], "b": ",}" ,
})"),
            R"({"a": [1, 2 ], "b": ",}" 
})");
  EXPECT_EQ(without_trailing_commas(R"({"a": "\",]"})"), R"({"a": "\",]"})");
}

}  // namespace
}  // namespace cuttle::rest
