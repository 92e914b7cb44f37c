// The conformance suite for torque:// against Slurm's Torque wrappers (slurm-wlm-torque:
// qsub, qstat -f, qdel over the real Slurm of tests/env/slurm.sh) — a real third-party
// Torque CLI without qstat -x, so the adaptor's qstat -f fallback is what runs here.

#include "tests/conformance/test_servers.h"

namespace {

using namespace cuttle::conformance;

Target torque_target() {
  Target t = test_cluster_target("torque://", "torque", "qdel");
  t.require = require_servers({kTorque});
  // Slurm's qstat shows a job whose dependency can never be met as queued (docs/dependencies.md).
  t.ends_unsatisfiable_dependencies = false;
  t.array_elements_reported = false;  // qstat -f ID[INDEX] prints nothing on the wrappers
  return t;  // no extend: Torque has no way to change a running job's walltime here
}

}  // namespace

CUTTLE_CONFORMANCE(Torque, torque_target());
