// The container flags of `cuttle submit`, driven as a user drives them: an image on an
// adaptor that cannot run containers yet is refused naming container_image (it used to
// run the command without any container), and bad container options are usage errors
// naming the flag or field.
#include <cstdlib>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuttle/command_runner.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using ::testing::HasSubstr;

class CliContainerTest : public ::testing::Test {
 protected:
  CommandResult cuttle(std::vector<std::string> args) {
    const char* dir = std::getenv("CUTTLE_BINARY_DIR");
    args.insert(args.begin(), std::string(dir ? dir : CUTTLE_BUILD_DIR) + "/bindings/cli/cuttle");
    CommandOptions options;
    options.timeout = std::chrono::seconds(60);
    return runner_.run(args, options);
  }
  std::string victim() const { return dir_.path() + "/ran-without-container"; }

  LocalRunner runner_;
  testing::TempDir dir_;
};

TEST_F(CliContainerTest, AnImageOnTheLocalAdaptorIsRefusedNotSilentlyIgnored) {
  for (const std::string& location : std::vector<std::string>{
           "local://", "local://?mode=detached&sandbox.root=" + dir_.path() + "/jobs"}) {
    auto r =
        cuttle({"submit", "--wait", "--image", "docker://x", location, "--", "touch", victim()});
    EXPECT_EQ(r.exit_code, 1) << location;
    EXPECT_THAT(r.stderr_text, HasSubstr("container_image")) << location;
    EXPECT_THAT(r.stderr_text, HasSubstr("unsupported")) << location;
    EXPECT_FALSE(std::filesystem::exists(victim())) << location << " ran the job";
  }
}

TEST_F(CliContainerTest, HostileImageNamesAreUsageErrorsNamingTheField) {
  for (const std::string& image :
       std::vector<std::string>{"busybox; touch " + victim(), "$(touch " + victim() + ")",
                                "busybox\ntouch", "--privileged"}) {
    auto r = cuttle({"submit", "--wait", "--image=" + image, "local://", "--", "true"});
    EXPECT_EQ(r.exit_code, 2) << image;
    EXPECT_THAT(r.stderr_text, HasSubstr("container_image")) << image;
  }
  EXPECT_FALSE(std::filesystem::exists(victim()));
}

TEST_F(CliContainerTest, BadContainerOptionsNameTheirFlagOrField) {
  struct Case {
    std::vector<std::string> flags;
    const char* named;
  };
  for (const Case& c : std::vector<Case>{
           {{"--container-runtime", "rkt"}, "--container-runtime"},
           {{"--network", "maybe"}, "--network"},
           {{"--mount", "/a:/b:/c"}, "--mount"},
           {{"--mount", "relative:/in"}, "container.mounts[0].host_path"},
           {{"--mount", "/data:/work/in"}, "container.mounts[0].container_path"},
           {{"--container-user", "root; id"}, "container.user"},
       }) {
    std::vector<std::string> args = {"submit", "--image", "busybox"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    args.insert(args.end(), {"local://", "--", "true"});
    auto r = cuttle(args);
    EXPECT_EQ(r.exit_code, 2) << c.named;
    EXPECT_THAT(r.stderr_text, HasSubstr(c.named));
  }
}

TEST_F(CliContainerTest, ContainerOptionsWithoutAnImageAreRefused) {
  auto r = cuttle({"submit", "--network", "on", "local://", "--", "touch", victim()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.stderr_text, HasSubstr("container_image is empty"));
  EXPECT_FALSE(std::filesystem::exists(victim()));
}

TEST_F(CliContainerTest, ValidContainerOptionsReachTheAdaptorsRefusal) {
  auto r = cuttle({"submit", "--image", "localhost/busybox:latest", "--container-runtime", "podman",
                   "--mount", "/etc:/host-etc", "--network", "off", "--container-user", "1000:1000",
                   "local://", "--", "touch", victim()});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr("container_image"));
  EXPECT_FALSE(std::filesystem::exists(victim()));
}

}  // namespace
}  // namespace cuttle
