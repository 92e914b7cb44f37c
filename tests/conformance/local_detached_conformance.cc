// The conformance suite for local:// in detached mode, with its sandboxes under a
// temporary root removed when the test program exits.

#include <cstdlib>

#include "tests/conformance/conformance.h"

namespace {

cuttle::conformance::Target local_target() {
  cuttle::conformance::Target t;
  t.location = "local://";
  t.properties = {{"mode", "detached"},
                  {"sandbox.root", cuttle::conformance::process_scratch_root("local-detached")},
                  {"cancel.grace", "2s"}};
  t.one_slot_properties = {{"max.concurrent", "1"}};
  t.job_timeout = std::chrono::seconds(20);
  t.detached = true;
  t.cancel_grace = std::chrono::seconds(2);
  t.supports_extend = true;
  t.kill_from_outside = cuttle::conformance::terminate_process_group;
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(LocalDetached, local_target());
