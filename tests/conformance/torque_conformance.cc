// The conformance suite for torque:// against Slurm's Torque wrappers (slurm-wlm-torque:
// qsub, qstat -f, qdel over the real Slurm of tests/env/slurm.sh) — a real third-party
// Torque CLI without qstat -x, so the adaptor's qstat -f fallback is what runs here.

#include <cstdlib>

#include "tests/conformance/conformance.h"

namespace {

cuttle::conformance::Target torque_target() {
  cuttle::conformance::Target t;
  t.location = "torque://";
  t.properties = {{"sandbox.root", cuttle::conformance::process_scratch_root("torque")},
                  {"poll.interval.min", "250ms"},
                  {"poll.interval.max", "1s"},
                  // Below the test cluster's KillWait (5 s), as it should be on any site:
                  // the wrapper's own KILL then records how a TERM-ignoring job ended
                  // before the scheduler's KILL can end the wrapper.
                  {"cancel.grace", "2s"}};
  const char* one_slot = std::getenv("CUTTLE_TEST_SLURM_ONE_SLOT_PARTITION");
  if (one_slot) t.one_slot_properties = {{"queue", one_slot}};
  t.require = [] {
    if (std::getenv("CUTTLE_TEST_TORQUE")) return;
    if (std::getenv("CI")) FAIL() << "no Torque CLI: eval \"$(tests/env/slurm.sh start)\"";
    GTEST_SKIP() << "no Torque CLI: eval \"$(tests/env/slurm.sh start)\"";
  };
  t.job_timeout = std::chrono::seconds(60);
  t.cancel_grace = std::chrono::seconds(2);
  t.detached = true;
  t.kill_from_outside = [](const cuttle::JobStatus& s) {
    cuttle::conformance::run_outside({"qdel", s.id});
  };
  // MinJobAge=10 in tests/env/slurm.sh, plus the controller's purge interval.
  t.forgotten_after = std::chrono::seconds(20);
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(Torque, torque_target());
