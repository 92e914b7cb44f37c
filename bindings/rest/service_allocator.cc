#include "bindings/rest/service_allocator.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace cuttle::rest {
namespace {

constexpr const char* kTunables = "GLIBC_TUNABLES";
constexpr const char* kSetting = "glibc.malloc.tcache_count=0";
// Set across the re-exec: "1" means it happened; the caller's own GLIBC_TUNABLES, if any,
// travels in kOriginal so it can be put back for the jobs.
constexpr const char* kDone = "CUTTLE_SERVE_ALLOCATOR_APPLIED";
constexpr const char* kOriginal = "CUTTLE_SERVE_ORIGINAL_TUNABLES";

const char* state = "glibc defaults";

void restore_environment() {
  if (const char* original = std::getenv(kOriginal)) {
    setenv(kTunables, original, 1);
  } else {
    unsetenv(kTunables);
  }
  unsetenv(kOriginal);
  unsetenv(kDone);
}

}  // namespace

void use_service_allocator(char** argv) {
  if (std::getenv(kDone)) {
    restore_environment();
    state = "per-thread caches off (glibc.malloc.tcache_count=0)";
    return;
  }
  const char* mode = std::getenv("CUTTLE_SERVE_ALLOCATOR");
  if (mode && std::string(mode) == "default") {
    state = "glibc defaults (CUTTLE_SERVE_ALLOCATOR=default)";
    return;
  }
  const char* original = std::getenv(kTunables);
  const std::string before = original ? original : "";
  // The caller chose a tcache size: theirs wins.
  if (before.find("glibc.malloc.tcache_count") != std::string::npos) {
    state = "as GLIBC_TUNABLES sets it";
    return;
  }
  if (original) setenv(kOriginal, original, 1);
  setenv(kTunables, before.empty() ? kSetting : (before + ":" + kSetting).c_str(), 1);
  setenv(kDone, "1", 1);
  ::execv("/proc/self/exe", argv);
  // No /proc, or the binary is gone: run with glibc's defaults rather than not at all.
  restore_environment();
  state = "glibc defaults (re-executing /proc/self/exe failed)";
}

const char* service_allocator_state() { return state; }

}  // namespace cuttle::rest
