// The conformance suite once more per adaptor with an image (issue 12): podman on local://
// (attached and detached), Charliecloud's ch-run with the busybox directory image over
// ssh:// and inside Slurm and Torque jobs (the unprivileged HPC path, and no podman
// configuration to carry over SSH). The tests that need the host's paths inside a job
// skip saying so (conformance.h, Target::container_image).

#include <cstdlib>

#include "tests/conformance/conformance.h"
#include "tests/integration/container_test_env.h"

namespace {

using cuttle::ContainerRuntime;
using cuttle::conformance::process_scratch_root;
using cuttle::conformance::Target;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

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
  t.location = "ssh://" + env("CUTTLE_TEST_SSH_USER") + "@" + env("CUTTLE_TEST_SSH_HOST") + ":" +
               env("CUTTLE_TEST_SSH_PORT");
  t.properties = {{"poll.interval", "250ms"},
                  {"ssh.known_hosts", env("CUTTLE_TEST_SSH_KNOWN_HOSTS")},
                  {"ssh.hostkey.policy", "strict"},
                  {"ssh.config", "none"}};
  t.credential = cuttle::Credential::key(env("CUTTLE_TEST_SSH_KEY"));
  t.kill_from_outside = cuttle::conformance::terminate_process_group;
  t.require = require("ch-run", "CUTTLE_TEST_SSH_PORT");
  return in_charliecloud(t, "ssh-charliecloud");
}

Target batch_charliecloud(const std::string& scheme, const char* server_env,
                          const std::string& cancel_command) {
  Target t;
  t.location = scheme + "://";
  t.properties = {{"poll.interval.min", "250ms"}, {"poll.interval.max", "1s"}};
  t.require = require("ch-run", server_env);
  t.kill_from_outside = [cancel_command](const cuttle::JobStatus& s) {
    cuttle::conformance::run_outside({cancel_command, s.id});
  };
  t = in_charliecloud(t, scheme + "-charliecloud");
  t.supports_extend = scheme == "slurm";  // the torque adaptor cannot extend
  // Torque here is Slurm's qsub/qstat over the same cluster (slurm_conformance.cc).
  const char* one_slot = std::getenv("CUTTLE_TEST_SLURM_ONE_SLOT_PARTITION");
  if (one_slot) t.one_slot_properties = {{"queue", one_slot}};
  t.forgotten_after = std::chrono::seconds(20);
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(LocalAttachedPodman, local_attached());
CUTTLE_CONFORMANCE(LocalDetachedPodman, local_detached());
CUTTLE_CONFORMANCE(SshCharliecloud, ssh_charliecloud());
CUTTLE_CONFORMANCE(SlurmCharliecloud, batch_charliecloud("slurm", "CUTTLE_TEST_SLURM", "scancel"));
CUTTLE_CONFORMANCE(TorqueCharliecloud, batch_charliecloud("torque", "CUTTLE_TEST_TORQUE", "qdel"));
