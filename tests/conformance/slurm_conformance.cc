// The conformance suite for slurm:// against the real single-node Slurm started by
// tests/env/slurm.sh (eval "$(tests/env/slurm.sh start)"), sandboxes under a temporary
// root removed when the test program exits.

#include "tests/conformance/test_servers.h"

namespace {

using namespace cuttle::conformance;

Target slurm_target() {
  Target t = test_cluster_target("slurm://", "slurm", "scancel");
  t.require = require_servers({kSlurm});
  t.supports_extend = true;
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(Slurm, slurm_target());
