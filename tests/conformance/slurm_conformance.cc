// The conformance suite for slurm:// against the real single-node Slurm started by
// tests/env/slurm.sh (eval "$(tests/env/slurm.sh start)"), sandboxes under a temporary
// root removed when the test program exits.

#include <cstdlib>

#include "tests/conformance/conformance.h"

namespace {

cuttle::conformance::Target slurm_target() {
  cuttle::conformance::Target t;
  t.location = "slurm://";
  t.properties = {{"sandbox.root", cuttle::conformance::process_scratch_root("slurm")},
                  {"poll.interval.min", "250ms"},
                  {"poll.interval.max", "1s"},
                  // Below the test cluster's KillWait (5 s), as it must be on any site: a
                  // wrapper KILLed by Slurm before its own grace ends records nothing.
                  {"cancel.grace", "2s"}};
  const char* one_slot = std::getenv("CUTTLE_TEST_SLURM_ONE_SLOT_PARTITION");
  if (one_slot) t.one_slot_properties = {{"queue", one_slot}};
  t.require = [] {
    if (std::getenv("CUTTLE_TEST_SLURM")) return;
    if (std::getenv("CI")) FAIL() << "Slurm is not running: eval \"$(tests/env/slurm.sh start)\"";
    GTEST_SKIP() << "Slurm is not running: eval \"$(tests/env/slurm.sh start)\"";
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

CUTTLE_CONFORMANCE(Slurm, slurm_target());
