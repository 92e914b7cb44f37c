// Local or SSH transport for batch adaptors, and their shared descriptor.
#include "adaptors/batch/transport.h"

#include "adaptors/ssh/remote.h"
#include "cuttle/error.h"

namespace cuttle::detail {

Transport open_transport(const Location& location, const Properties& properties,
                         const Credential& credential) {
  if (location.transport.empty()) {
    if (!location.host.empty() && location.host != "localhost") {
      throw InvalidArgument(location.scheme + "://" + location.host + ": a host needs " +
                            location.scheme + "+ssh://");
    }
    return {std::make_shared<LocalRunner>(), std::make_shared<LocalFileSystem>()};
  }
  if (location.transport == "ssh") {
    Remote remote = open_remote(location, properties, credential);
    return {remote.runner, remote.files};
  }
  throw InvalidArgument("unknown transport '" + location.transport + "' in " +
                        location.full_scheme() + "://; use " + location.scheme + ":// or " +
                        location.scheme + "+ssh://");
}

std::vector<PropertyDescriptor> batch_adaptor_properties() {
  std::vector<PropertyDescriptor> all = batch_property_descriptors();
  for (PropertyDescriptor& p : ssh_property_descriptors()) all.push_back(std::move(p));
  return all;
}

AdaptorDescriptor batch_adaptor_descriptor(
    std::string name, std::string description, Capabilities capabilities,
    std::function<std::unique_ptr<BatchDialect>(const Properties&)> make) {
  AdaptorDescriptor d;
  d.name = name;
  d.description = std::move(description);
  d.schemes = {name, name + "+ssh"};
  d.location_forms = {name + "://", name + "+ssh://[user@]host[:port]"};
  d.properties = batch_adaptor_properties();
  d.query_keys = {"jump"};  // read by the +ssh transport
  d.capabilities = capabilities;
  d.factory = [name, make](const Location& location, const Properties& properties,
                           const Credential& credential) -> std::shared_ptr<Scheduler> {
    BatchSettings settings = BatchSettings::from(properties);
    Transport transport = open_transport(location, properties, credential);
    return std::make_shared<BatchScheduler>(name, location, make(properties), transport.runner,
                                            transport.files, std::move(settings));
  };
  return d;
}

}  // namespace cuttle::detail
