// The conformance suite once more per adaptor with an image (issue 12): podman on local://
// (attached and detached), Charliecloud's ch-run with the busybox directory image over
// ssh:// and inside Slurm and Torque jobs (the unprivileged HPC path, and no podman
// configuration to carry over SSH). The tests that need the host's paths inside a job
// skip saying so (conformance.h, Target::container_image).

#include <cstdlib>

#include "tests/conformance/test_servers.h"
#include "tests/integration/container_test_env.h"

namespace {

using cuttle::ContainerRuntime;
using cuttle::conformance::env;
using cuttle::conformance::process_scratch_root;
using cuttle::conformance::Target;
using cuttle::conformance::test_cluster_target;
using cuttle::conformance::test_sshd_location;
using cuttle::conformance::use_test_sshd;

// Skips locally and fails in CI when `program` or the server named by `server_env` is
// missing.
std::function<void()> require(std::string program, std::string server_env = "") {
  return [program, server_env] {
    CUTTLE_REQUIRE_CONTAINER_ENV(program);
    if (server_env.empty() || !env(server_env.c_str()).empty()) return;
    if (cuttle::container_test::in_ci()) FAIL() << server_env << " is not set";
    GTEST_SKIP() << server_env << " is not set: start tests/env first";
  };
}

Target in_podman(std::string tag, std::map<std::string, std::string> properties) {
  Target t;
  t.location = "local://";
  t.properties = std::move(properties);
  t.properties["sandbox.root"] = process_scratch_root(tag);
  t.properties["cancel.grace"] = "2s";
  t.cancel_grace = std::chrono::seconds(2);
  t.job_timeout = std::chrono::seconds(60);
  t.kill_from_outside = cuttle::conformance::terminate_process_group;
  t.container_image = cuttle::container_test::Env::podman_image();
  t.container_runtime = ContainerRuntime::kPodman;
  t.late_slack = std::chrono::seconds(5);  // podman's lock (Target::late_slack)
  t.require = require("podman");
  return t;
}

Target local_attached() {
  Target t = in_podman("local-attached-podman", {});
  t.one_slot_properties = {{"max.concurrent", "1"}};
  t.supports_extend = true;
  return t;
}

Target local_detached() {
  Target t = in_podman("local-detached-podman", {{"mode", "detached"}});
  t.one_slot_properties = {{"max.concurrent", "1"}};
  t.detached = true;
  t.supports_extend = true;
  return t;
}

Target in_charliecloud(Target t, const std::string& tag) {
  t.properties["sandbox.root"] = process_scratch_root(tag);
  t.properties["cancel.grace"] = "2s";
  t.cancel_grace = std::chrono::seconds(2);
  t.job_timeout = std::chrono::seconds(60);
  t.detached = true;
  t.supports_extend = true;
  t.container_image = env("CUTTLE_TEST_CONTAINER_ROOTFS");
  if (t.container_image.empty()) t.container_image = "/no-charliecloud-image-exported";
  t.container_runtime = ContainerRuntime::kCharliecloud;
  return t;
}

Target ssh_charliecloud() {
  Target t;
  t.location = test_sshd_location("ssh");
  t.properties = {{"poll.interval", "250ms"}};
  use_test_sshd(t);
  t.kill_from_outside = cuttle::conformance::terminate_process_group;
  t.require = require("ch-run", "CUTTLE_TEST_SSH_PORT");
  return in_charliecloud(t, "ssh-charliecloud");
}

Target batch_charliecloud(const std::string& scheme, const char* server_env,
                          const std::string& cancel_command) {
  Target t = test_cluster_target(scheme + "://", scheme + "-charliecloud", cancel_command);
  t.require = require("ch-run", server_env);
  t = in_charliecloud(t, scheme + "-charliecloud");
  t.supports_extend = scheme == "slurm";  // the torque adaptor cannot extend
  // Slurm's qstat shows a job whose dependency can never be met as queued (docs/dependencies.md).
  t.ends_unsatisfiable_dependencies = scheme != "torque";
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(LocalAttachedPodman, local_attached());
CUTTLE_CONFORMANCE(LocalDetachedPodman, local_detached());
CUTTLE_CONFORMANCE(SshCharliecloud, ssh_charliecloud());
CUTTLE_CONFORMANCE(SlurmCharliecloud, batch_charliecloud("slurm", "CUTTLE_TEST_SLURM", "scancel"));
CUTTLE_CONFORMANCE(TorqueCharliecloud, batch_charliecloud("torque", "CUTTLE_TEST_TORQUE", "qdel"));
