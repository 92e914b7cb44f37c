// The conformance suite for ssh:// through the real sshd of tests/env/sshd.sh (on this
// machine, so the sandbox root and the scratch files are on the disk both sides see),
// with strict host-key checking against the test known_hosts.

#include <cstdlib>

#include "tests/conformance/conformance.h"

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

cuttle::conformance::Target ssh_target() {
  cuttle::conformance::Target t;
  t.location = "ssh://" + env("CUTTLE_TEST_SSH_USER") + "@" + env("CUTTLE_TEST_SSH_HOST") + ":" +
               env("CUTTLE_TEST_SSH_PORT");
  t.properties = {{"sandbox.root", cuttle::conformance::process_scratch_root("ssh")},
                  {"poll.interval", "250ms"},
                  {"cancel.grace", "2s"},
                  {"ssh.known_hosts", env("CUTTLE_TEST_SSH_KNOWN_HOSTS")},
                  {"ssh.hostkey.policy", "strict"},
                  {"ssh.config", "none"}};
  t.credential = cuttle::Credential::key(env("CUTTLE_TEST_SSH_KEY"));
  t.require = [] {
    if (!env("CUTTLE_TEST_SSH_PORT").empty()) return;
    if (env("CI") == "true" || env("CI") == "1") {
      FAIL() << "sshd not running: eval \"$(tests/env/sshd.sh start)\"";
    }
    GTEST_SKIP() << "sshd not running: eval \"$(tests/env/sshd.sh start)\"";
  };
  t.job_timeout = std::chrono::seconds(60);
  t.detached = true;
  t.cancel_grace = std::chrono::seconds(2);
  t.supports_extend = true;
  // The sshd of tests/env runs on this machine: the sandbox is on this disk.
  t.kill_from_outside = cuttle::conformance::terminate_process_group;
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(Ssh, ssh_target());
