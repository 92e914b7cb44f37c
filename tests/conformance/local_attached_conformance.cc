// The conformance suite for local:// in attached mode, with its sandboxes under a
// temporary root removed when the test program exits.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/conformance/conformance.h"

namespace {

std::string sandbox_root() {
  static const std::string root = [] {
    std::string path = "/tmp/cuttle-local-attached-conformance-" + std::to_string(::getpid());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(sandbox_root(), ignored);
    });
    return path;
  }();
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
