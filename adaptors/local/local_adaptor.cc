// Registration of the local:// adaptor: its descriptor, typed properties and factory.
#include "adaptors/local/local_options.h"
#include "adaptors/local/local_scheduler.h"
#include "cuttle/error.h"
#include "internal/builtin.h"

namespace cuttle::detail {

void register_local_adaptor(Registry& registry) {
  AdaptorDescriptor descriptor;
  descriptor.name = "local";
  descriptor.description = "processes on this machine (posix_spawn, exits pushed through pidfd)";
  descriptor.schemes = {"local"};
  descriptor.location_forms = {"local://"};
  descriptor.properties = local::local_property_descriptors();
  descriptor.capabilities.staging = true;
  descriptor.capabilities.detached = false;  // true when mode=detached
  descriptor.capabilities.containers = true;
  descriptor.capabilities.steps = true;
  descriptor.factory = [](const Location& location, const Properties& properties,
                          const Credential&) -> std::shared_ptr<Scheduler> {
    if (!location.host.empty() && location.host != "localhost") {
      throw InvalidArgument("local:// takes no host, got '" + location.host + "'");
    }
    return std::make_shared<local::LocalScheduler>(location, local::LocalOptions::from(properties));
  };
  registry.add(std::move(descriptor));
}

}  // namespace cuttle::detail
