// The adaptor registry: explicit registration, lookup by full scheme, creation.
#include "cuttle/registry.h"

#include <algorithm>

#include "cuttle/error.h"

namespace cuttle {

Registry& Registry::global() {
  static Registry registry;
  return registry;
}

void Registry::add(AdaptorDescriptor descriptor) {
  std::lock_guard lock(mutex_);
  if (!descriptor.factory) throw InvalidArgument("adaptor " + descriptor.name + " has no factory");
  for (const auto& existing : adaptors_) {
    if (existing->name == descriptor.name) {
      throw InvalidArgument("adaptor '" + descriptor.name + "' is already registered");
    }
    for (const auto& scheme : descriptor.schemes) {
      if (std::find(existing->schemes.begin(), existing->schemes.end(), scheme) !=
          existing->schemes.end()) {
        throw InvalidArgument("scheme '" + scheme + "' is already registered by adaptor " +
                              existing->name);
      }
    }
  }
  adaptors_.push_back(std::make_unique<AdaptorDescriptor>(std::move(descriptor)));
}

std::vector<AdaptorDescriptor> Registry::adaptors() const {
  std::lock_guard lock(mutex_);
  std::vector<AdaptorDescriptor> out;
  for (const auto& a : adaptors_) out.push_back(*a);
  return out;
}

const AdaptorDescriptor& Registry::for_scheme(const std::string& full_scheme) const {
  std::lock_guard lock(mutex_);
  std::string known;
  for (const auto& a : adaptors_) {
    for (const auto& scheme : a->schemes) {
      if (scheme == full_scheme) return *a;
      known += (known.empty() ? "" : ", ") + scheme + "://";
    }
  }
  throw InvalidArgument("no adaptor for scheme '" + full_scheme +
                        "://'; known: " + (known.empty() ? "(none registered)" : known));
}

bool Registry::empty() const {
  std::lock_guard lock(mutex_);
  return adaptors_.empty();
}

namespace {

std::string valid_query_keys(const AdaptorDescriptor& adaptor) {
  std::string valid;
  for (const auto& key : adaptor.query_keys) valid += (valid.empty() ? "" : ", ") + key;
  for (const auto& p : adaptor.properties) valid += (valid.empty() ? "" : ", ") + p.name;
  return valid.empty() ? "(none)" : valid;
}

}  // namespace

std::shared_ptr<Scheduler> Registry::create(const Location& location,
                                            const SchedulerOptions& options) const {
  // Descriptors are never removed, so the reference stays valid outside the lock.
  const AdaptorDescriptor& adaptor = for_scheme(location.full_scheme());
  // Query keys that name a declared property ("local://?mode=detached") are properties;
  // explicit options win over them. The adaptor's own query keys (ssh's "jump") are left
  // to it; anything else is a typo that must not be ignored.
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : location.query) {
    bool is_property = false;
    for (const auto& declared : adaptor.properties) is_property |= declared.name == key;
    if (is_property) {
      values[key] = value;
    } else if (std::find(adaptor.query_keys.begin(), adaptor.query_keys.end(), key) ==
               adaptor.query_keys.end()) {
      throw InvalidArgument("location " + location.to_string() + ": unknown query key '" + key +
                            "'; valid keys: " + valid_query_keys(adaptor));
    }
  }
  for (const auto& [key, value] : options.properties) values[key] = value;
  Properties properties(adaptor.properties, values);
  return adaptor.factory(location, properties, options.credential);
}

}  // namespace cuttle
