// The container model: what an image reference, a mount and a user may hold, each
// refusal naming its field, and options without an image refused rather than ignored.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cuttle/container.h"
#include "cuttle/error.h"
#include "cuttle/job_description.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using testing::field_of;

JobDescription with_image(std::string image) {
  JobDescription d;
  d.executable = "/bin/true";
  d.container_image = std::move(image);
  return d;
}

TEST(ContainerModel, RuntimeNamesRoundTrip) {
  for (auto r : {ContainerRuntime::kAuto, ContainerRuntime::kPodman, ContainerRuntime::kDocker,
                 ContainerRuntime::kApptainer, ContainerRuntime::kSingularity,
                 ContainerRuntime::kCharliecloud}) {
    EXPECT_EQ(parse_container_runtime(to_string(r)), r);
  }
  EXPECT_EQ(parse_container_runtime("ch-run"), ContainerRuntime::kCharliecloud);
  EXPECT_THROW(parse_container_runtime("Podman"), InvalidArgument);
  EXPECT_THROW(parse_container_runtime(""), InvalidArgument);
}

TEST(ContainerModel, CommonImageReferencesAreAccepted) {
  for (const char* image :
       {"busybox", "localhost/busybox:latest", "docker://busybox", "registry.example:5000/a/b:1.2",
        "quay.io/x/y@sha256:0123456789abcdef", "/scratch/images/busybox", "./img.sif",
        "library://alpine:3.18", "oci-archive:/tmp/a.tar"}) {
    EXPECT_EQ(field_of(with_image(image)), "(valid)") << image;
  }
}

TEST(ContainerModel, HostileImageReferencesAreRefusedNamingTheField) {
  for (const std::string& image : std::vector<std::string>{
           "busybox; touch /tmp/x", "$(touch /tmp/x)", "`id`", "busybox\nrm -rf /", "a b",
           "--privileged", "-v/:/host", "busybox'", "busybox\"", "img|cat", "img>out", "img&",
           std::string("bus\0box", 7), std::string(4097, 'a')}) {
    EXPECT_EQ(field_of(with_image(image)), "container_image") << image;
  }
}

TEST(ContainerModel, RefusalSaysWhichCharacter) {
  try {
    with_image("busybox;x").validate();
    FAIL() << "accepted";
  } catch (const InvalidJobDescription& e) {
    EXPECT_NE(std::string(e.what()).find("';'"), std::string::npos) << e.what();
  }
}

TEST(ContainerModel, ContainerOptionsWithoutAnImageAreRefused) {
  JobDescription d;
  d.executable = "/bin/true";
  d.container.user = "1000";
  EXPECT_EQ(field_of(d), "container");
  d.container = {};
  d.container.network = true;
  EXPECT_EQ(field_of(d), "container");
  d.container = {};
  d.container.runtime = ContainerRuntime::kPodman;
  EXPECT_EQ(field_of(d), "container");
}

TEST(ContainerModel, MountsMustBeAbsoluteAndPlain) {
  auto field_for = [](ContainerMount mount) {
    JobDescription d = with_image("busybox");
    d.container.mounts = {{"/ok", "/ok"}, std::move(mount)};
    return field_of(d);
  };
  EXPECT_EQ(field_for({"/data", "/data"}), "(valid)");
  EXPECT_EQ(field_for({"/data/", "/mnt/in/"}), "(valid)");
  EXPECT_EQ(field_for({"relative", "/data"}), "container.mounts[1].host_path");
  EXPECT_EQ(field_for({"", "/data"}), "container.mounts[1].host_path");
  EXPECT_EQ(field_for({"/data", "data"}), "container.mounts[1].container_path");
  EXPECT_EQ(field_for({"/a/../etc", "/data"}), "container.mounts[1].host_path");
  EXPECT_EQ(field_for({"/data", "/x/.."}), "container.mounts[1].container_path");
  EXPECT_EQ(field_for({"/a:b", "/data"}), "container.mounts[1].host_path");
  EXPECT_EQ(field_for({"/a,readonly=false", "/data"}), "container.mounts[1].host_path");
  EXPECT_EQ(field_for({"/a\nb", "/data"}), "container.mounts[1].host_path");
  EXPECT_EQ(field_for({"/data", "/"}), "container.mounts[1].container_path");
  EXPECT_EQ(field_for({"/data", "/work"}), "container.mounts[1].container_path");
  EXPECT_EQ(field_for({"/data", "/work/"}), "container.mounts[1].container_path");
  EXPECT_EQ(field_for({"/data", "/work/in"}), "container.mounts[1].container_path");
  EXPECT_EQ(field_for({"/data", "/workspace"}), "(valid)");
  EXPECT_EQ(field_for({"/$(id)", "/data"}), "(valid)");  // never through a shell unquoted
}

TEST(ContainerModel, UsersAreNamesOrIds) {
  auto field_for = [](std::string user) {
    JobDescription d = with_image("busybox");
    d.container.user = std::move(user);
    return field_of(d);
  };
  for (const char* ok : {"nobody", "1000", "1000:1000", "svc-user.x", "_x:grp"}) {
    EXPECT_EQ(field_for(ok), "(valid)") << ok;
  }
  for (const char* bad : {"-u0", "1000:", ":1000", "a:b:c", "root; id", "$(id)", "a b", "a\nb"}) {
    EXPECT_EQ(field_for(bad), "container.user") << bad;
  }
}

TEST(ContainerModel, MountTextParses) {
  EXPECT_EQ(parse_container_mount("/data:/in"), (ContainerMount{"/data", "/in"}));
  EXPECT_EQ(parse_container_mount("/data"), (ContainerMount{"/data", "/data"}));
  EXPECT_THROW(parse_container_mount("/a:/b:/c"), InvalidArgument);
}

}  // namespace
}  // namespace cuttle
