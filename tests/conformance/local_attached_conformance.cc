// The conformance suite for local:// in attached mode, with its sandboxes under a
// temporary root removed when the test program exits.

#include <cstdlib>

#include "tests/conformance/conformance.h"

namespace {

cuttle::conformance::Target local_target() {
  cuttle::conformance::Target t;
  t.location = "local://";
  t.properties = {{"mode", "attached"},
                  {"sandbox.root", cuttle::conformance::process_scratch_root("local-attached")},
                  {"cancel.grace", "2s"}};
  t.one_slot_properties = {{"max.concurrent", "1"}};
  t.job_timeout = std::chrono::seconds(20);
  t.detached = false;
  t.supports_extend = true;
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(LocalAttached, local_target());
