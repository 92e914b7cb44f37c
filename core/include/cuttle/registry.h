// Which adaptors exist: name, schemes, location forms, typed properties, capabilities,
// and a factory. Registration is explicit (register_builtin_adaptors), never by static
// initialisers. Thread-safety: Registry methods are safe to call concurrently.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuttle/properties.h"
#include "cuttle/scheduler.h"

namespace cuttle {

struct AdaptorDescriptor {
  std::string name;                         // "slurm"
  std::string description;                  // one line
  std::vector<std::string> schemes;         // full schemes it accepts: "slurm", "slurm+ssh"
  std::vector<std::string> location_forms;  // "slurm://", "slurm+ssh://[user@]host[:port]"
  std::vector<PropertyDescriptor> properties;
  // Location query keys the adaptor reads itself and that are not properties (ssh's
  // "jump"). Any other query key that is not a property is refused, so a typo such as
  // `?mdoe=detached` cannot silently fall back to the default.
  std::vector<std::string> query_keys;
  Capabilities capabilities;
  // Receives the parsed location and the validated properties.
  std::function<std::shared_ptr<Scheduler>(const Location&, const Properties&, const Credential&)>
      factory;
};

class Registry {
 public:
  static Registry& global();

  // Throws InvalidArgument if the name or one of the schemes is already registered.
  void add(AdaptorDescriptor descriptor);
  std::vector<AdaptorDescriptor> adaptors() const;
  // Throws InvalidArgument listing the known schemes.
  const AdaptorDescriptor& for_scheme(const std::string& full_scheme) const;
  bool empty() const;

  // Validates properties and calls the factory (unwrapped). Location query keys that
  // name a declared property count as properties (explicit options win); a query key
  // that is neither a property nor one of the adaptor's query_keys throws
  // InvalidArgument naming the key and listing the valid ones.
  std::shared_ptr<Scheduler> create(const Location& location,
                                    const SchedulerOptions& options) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<AdaptorDescriptor>> adaptors_;
};

// Registers local, ssh, slurm, torque (and whatever else is built in). Idempotent.
void register_builtin_adaptors();

}  // namespace cuttle
