// The container flags of `cuttle submit`, driven as a user drives them: an image on
// local:// runs the job in the container with real podman (it used to run the command
// without any container), a missing runtime is refused naming container.runtime, and bad
// container options are usage errors naming the flag or field.
#include <cstdlib>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuttle/command_runner.h"
#include "tests/integration/container_test_env.h"
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

TEST_F(CliContainerTest, AnImageOnTheLocalAdaptorRunsTheJobInTheContainer) {
  CUTTLE_REQUIRE_CONTAINER_ENV("podman");
  for (const std::string& location : std::vector<std::string>{
           "local://", "local://?mode=detached&sandbox.root=" + dir_.path() + "/jobs"}) {
    // 7 only where the working directory is /work; the host path is not there inside.
    auto r =
        cuttle({"submit", "--wait", "--image", "localhost/busybox:latest", location, "--", "sh",
                "-c", "touch \"$1\" 2>/dev/null; [ \"$PWD\" = /work ] && exit 7", "sh", victim()});
    EXPECT_EQ(r.exit_code, 7) << location << ": " << r.stderr_text;
    EXPECT_FALSE(std::filesystem::exists(victim())) << location << " ran the job on the host";
  }
}

TEST_F(CliContainerTest, AMissingImageIsASystemErrorNamingTheImage) {
  CUTTLE_REQUIRE_CONTAINER_ENV("podman");
  auto r = cuttle({"submit", "--wait", "--image", "localhost/cuttle-no-such-image:latest",
                   "local://", "--", "true"});
  EXPECT_EQ(r.exit_code, 125) << r.stderr_text;
  EXPECT_THAT(r.stdout_text + r.stderr_text, HasSubstr("localhost/cuttle-no-such-image"));
}

TEST_F(CliContainerTest, AMissingRuntimeIsRefusedNamingContainerRuntime) {
  auto r = cuttle({"submit", "--wait", "--image", "localhost/busybox:latest", "--container-runtime",
                   "apptainer", "local://", "--", "touch", victim()});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr("container.runtime"));
  EXPECT_THAT(r.stderr_text, HasSubstr("apptainer"));
  EXPECT_FALSE(std::filesystem::exists(victim()));
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

TEST_F(CliContainerTest, ValidContainerOptionsReachTheRuntime) {
  CUTTLE_REQUIRE_CONTAINER_ENV("podman");
  auto r =
      cuttle({"submit", "--wait", "--image", "localhost/busybox:latest", "--container-runtime",
              "podman", "--mount", "/etc:/host-etc", "--network", "off", "local://", "--", "sh",
              "-c", "test -r /host-etc/hostname && ! touch /host-etc/x 2>/dev/null && exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.stderr_text;
}

}  // namespace
}  // namespace cuttle
