// Declaration and parsing of the local adaptor's properties.
#include "adaptors/local/local_options.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "cuttle/error.h"
#include "internal/common_properties.h"

namespace cuttle::detail::local {

std::string default_sandbox_root() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/cuttle/local";
  const char* home = std::getenv("HOME");
  std::string base = home && home[0] == '/' ? home : "";
  if (base.empty()) {
    if (const passwd* entry = ::getpwuid(::getuid()); entry && entry->pw_dir) base = entry->pw_dir;
  }
  if (base.empty()) base = "/tmp";
  return base + "/.local/share/cuttle/local";
}

std::vector<PropertyDescriptor> local_property_descriptors() {
  return {
      {"mode", PropertyType::kString, "attached",
       "attached: jobs are children of this process; detached: each job runs through a "
       "wrapper in its own session and sandbox, survives this process, and any process can "
       "re-attach to it by id"},
      sandbox_root_property("",
                            "directory holding one sandbox per job (detached jobs and jobs "
                            "with staging); empty: $XDG_DATA_HOME/cuttle/local or "
                            "~/.local/share/cuttle/local"),
      cancel_grace_property(),
      {"max.concurrent", PropertyType::kInt, "0",
       "jobs running at once; further jobs wait in state Queued (0: unlimited)"},
      cleanup_property(),
  };
}

LocalOptions LocalOptions::from(const Properties& properties) {
  LocalOptions options;
  const std::string mode = properties.get_string("mode");
  if (mode == "detached") {
    options.detached = true;
  } else if (mode != "attached") {
    throw InvalidArgument("property mode: expected attached or detached, got '" + mode + "'");
  }
  options.sandbox_root = properties.get_string("sandbox.root");
  if (options.sandbox_root.empty()) options.sandbox_root = default_sandbox_root();
  if (options.sandbox_root.front() != '/') {
    throw InvalidArgument("property sandbox.root: must be an absolute path, got '" +
                          options.sandbox_root + "'");
  }
  while (options.sandbox_root.size() > 1 && options.sandbox_root.back() == '/') {
    options.sandbox_root.pop_back();
  }
  options.cancel_grace = cancel_grace_from(properties);
  const auto max = properties.get_int("max.concurrent");
  if (max < 0) throw InvalidArgument("property max.concurrent: must not be negative");
  options.max_concurrent = static_cast<std::size_t>(max);
  options.cleanup = cleanup_from(properties);
  return options;
}

}  // namespace cuttle::detail::local
