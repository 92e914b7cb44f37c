// The conformance suite for local:// in attached mode, with its sandboxes under a
// temporary root removed when the test program exits.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/conformance/conformance.h"

namespace {

std::string sandbox_root() {
  // Constructed before the exit handler is registered, so it outlives the handler.
  static const std::string root =
      "/tmp/cuttle-local-attached-conformance-" + std::to_string(::getpid());
  static const bool registered = [] {
    return std::atexit([] {
             std::error_code ignored;
             std::filesystem::remove_all(root, ignored);
           }) == 0;
  }();
  (void)registered;
  return root;
}

cuttle::conformance::Target local_target() {
  cuttle::conformance::Target t;
  t.location = "local://";
  t.properties = {{"mode", "attached"}, {"sandbox.root", sandbox_root()}, {"cancel.grace", "2s"}};
  t.one_slot_properties = {{"max.concurrent", "1"}};
  t.job_timeout = std::chrono::seconds(20);
  t.detached = false;
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(LocalAttached, local_target());
