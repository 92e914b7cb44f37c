// The conformance suite for slurm+ssh:// through the real sshd of tests/env/sshd.sh to
// the real Slurm of tests/env/slurm.sh (both on this machine, so the sandbox root and
// the scratch files are on the disk both sides see).

#include <cstdlib>

#include "tests/conformance/conformance.h"

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

cuttle::conformance::Target slurm_ssh_target() {
  cuttle::conformance::Target t;
  t.location = "slurm+ssh://" + env("CUTTLE_TEST_SSH_USER") + "@" + env("CUTTLE_TEST_SSH_HOST") +
               ":" + env("CUTTLE_TEST_SSH_PORT");
  t.properties = {{"sandbox.root", cuttle::conformance::process_scratch_root("slurm-ssh")},
                  {"poll.interval.min", "250ms"},
                  {"poll.interval.max", "1s"},
                  {"ssh.known_hosts", env("CUTTLE_TEST_SSH_KNOWN_HOSTS")},
                  {"ssh.config", "/dev/null"},
                  // Below the test cluster's KillWait (5 s), as in slurm_conformance.cc.
                  {"cancel.grace", "2s"}};
  t.credential = cuttle::Credential::key(env("CUTTLE_TEST_SSH_KEY"));
  const char* one_slot = std::getenv("CUTTLE_TEST_SLURM_ONE_SLOT_PARTITION");
  if (one_slot) t.one_slot_properties = {{"queue", one_slot}};
  t.require = [] {
    std::string missing;
    if (env("CUTTLE_TEST_SLURM").empty()) missing += " Slurm (tests/env/slurm.sh)";
    if (env("CUTTLE_TEST_SSH_HOST").empty()) missing += " sshd (tests/env/sshd.sh)";
    if (missing.empty()) return;
    if (std::getenv("CI")) FAIL() << "not running:" << missing;
    GTEST_SKIP() << "not running:" << missing;
  };
  t.job_timeout = std::chrono::seconds(60);
  t.cancel_grace = std::chrono::seconds(2);
  t.supports_extend = true;
  t.detached = true;
  t.kill_from_outside = [](const cuttle::JobStatus& s) {
    cuttle::conformance::run_outside({"scancel", s.id});
  };
  // MinJobAge=10 in tests/env/slurm.sh, plus the controller's purge interval.
  t.forgotten_after = std::chrono::seconds(20);
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(SlurmSsh, slurm_ssh_target());
