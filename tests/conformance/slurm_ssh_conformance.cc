// The conformance suite for slurm+ssh:// through the real sshd of tests/env/sshd.sh to
// the real Slurm of tests/env/slurm.sh (both on this machine, so the sandbox root and
// the scratch files are on the disk both sides see).

#include "tests/conformance/test_servers.h"

namespace {

using namespace cuttle::conformance;

Target slurm_ssh_target() {
  Target t = test_cluster_target(test_sshd_location("slurm+ssh"), "slurm-ssh", "scancel");
  use_test_sshd(t);
  t.require = require_servers({kSlurm, kSshd});
  t.supports_extend = true;
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(SlurmSsh, slurm_ssh_target());
