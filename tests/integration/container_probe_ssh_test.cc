// The `auto` runtime probe over a real SSH connection: the same one command that runs
// locally, quoted by the SSH runner, finds the runtime on the remote host (here the test
// sshd on this machine) and names the host when the requested runtime is missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adaptors/ssh/remote.h"
#include "internal/container_runtime.h"
#include "tests/integration/ssh_test_env.h"

namespace cuttle {
namespace {

using ::testing::HasSubstr;

class ContainerProbeSshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CUTTLE_REQUIRE_SSHD();
    remote_ =
        detail::open_remote(Location::parse(ssh_test::location()),
                            Properties(detail::ssh_property_descriptors(), ssh_test::properties()),
                            ssh_test::credential());
  }
  detail::Remote remote_;
};

TEST_F(ContainerProbeSshTest, AutoFindsTheRemoteHostsRuntime) {
  LocalRunner local;
  // The remote host is this machine: both must agree.
  EXPECT_EQ(detail::resolve_container_runtime(*remote_.runner, ContainerRuntime::kAuto),
            detail::resolve_container_runtime(local, ContainerRuntime::kAuto));
}

TEST_F(ContainerProbeSshTest, AMissingRuntimeIsUnsupportedNamingTheHost) {
  CommandResult has = remote_.runner->run({"sh", "-c", "command -v apptainer"});
  if (has.exit_code == 0) GTEST_SKIP() << "apptainer is installed on the test host";
  try {
    detail::resolve_container_runtime(*remote_.runner, ContainerRuntime::kApptainer);
    FAIL() << "found an apptainer that is not installed";
  } catch (const Unsupported& e) {
    EXPECT_THAT(e.what(), HasSubstr("container.runtime"));
    EXPECT_THAT(e.what(), HasSubstr(remote_.runner->describe()));
  }
}

}  // namespace
}  // namespace cuttle
