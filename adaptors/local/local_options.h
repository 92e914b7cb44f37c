// The typed properties of the local adaptor (declared once, read once per Scheduler).
// Thread-safety: value types and pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cuttle/properties.h"
#include "cuttle/sandbox.h"

namespace cuttle::detail::local {

struct LocalOptions {
  // Throws InvalidArgument naming the property for a value outside its set.
  static LocalOptions from(const Properties& properties);

  bool detached = false;                 // mode=detached
  std::string sandbox_root;              // absolute
  std::chrono::seconds cancel_grace{5};  // SIGTERM .. SIGKILL
  std::size_t max_concurrent = 0;        // 0: unlimited
  CleanupPolicy cleanup = CleanupPolicy::kNever;
};

std::vector<PropertyDescriptor> local_property_descriptors();
// $XDG_DATA_HOME/cuttle/local, else ~/.local/share/cuttle/local.
std::string default_sandbox_root();

}  // namespace cuttle::detail::local
