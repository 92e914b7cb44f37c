// The conformance suite for ssh:// through the real sshd of tests/env/sshd.sh (on this
// machine, so the sandbox root and the scratch files are on the disk both sides see),
// with strict host-key checking against the test known_hosts.

#include "tests/conformance/test_servers.h"

namespace {

using namespace cuttle::conformance;

Target ssh_target() {
  Target t;
  t.location = test_sshd_location("ssh");
  t.properties = {{"sandbox.root", process_scratch_root("ssh")},
                  {"poll.interval", "250ms"},
                  {"cancel.grace", "2s"}};
  use_test_sshd(t);
  t.require = require_servers({kSshd});
  t.job_timeout = std::chrono::seconds(60);
  t.detached = true;
  t.cancel_grace = std::chrono::seconds(2);
  t.supports_extend = true;
  // The sshd of tests/env runs on this machine: the sandbox is on this disk.
  t.kill_from_outside = terminate_process_group;
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(Ssh, ssh_target());
