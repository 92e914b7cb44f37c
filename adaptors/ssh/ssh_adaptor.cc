// open_remote() for every SSH-transported adaptor, and the registration of ssh://.
#include "adaptors/ssh/remote.h"
#include "adaptors/ssh/sftp_file_system.h"
#include "adaptors/ssh/ssh_runner.h"
#include "adaptors/ssh/ssh_scheduler.h"
#include "internal/builtin.h"

namespace cuttle::detail {

Remote open_remote(const Location& location, const Properties& properties,
                   const Credential& credential) {
  SshSettings settings = SshSettings::from(properties);
  Route route = resolve_route(location, credential, settings.config_file);
  std::shared_ptr<SshHost> host = pooled_host(route, settings, credential);
  host->connection();  // fail now, with the host and the reason, rather than on first use
  return {std::make_shared<SshRunner>(host), std::make_shared<SftpFileSystem>(host)};
}

void register_ssh_adaptor(Registry& registry) {
  AdaptorDescriptor descriptor;
  descriptor.name = "ssh";
  descriptor.description =
      "detached jobs on a remote host over SSH (libssh session pool, SFTP staging)";
  descriptor.schemes = {"ssh"};
  descriptor.location_forms = {"ssh://[user@]host[:port][?jump=[user@]host[:port],...]"};
  descriptor.properties = ssh_scheduler_property_descriptors();
  descriptor.query_keys = {"jump"};
  descriptor.capabilities.staging = true;
  descriptor.capabilities.detached = true;
  descriptor.capabilities.containers = true;
  descriptor.capabilities.steps = true;
  descriptor.factory = [](const Location& location, const Properties& properties,
                          const Credential& credential) -> std::shared_ptr<Scheduler> {
    SshSchedulerOptions options = SshSchedulerOptions::from(properties);
    Remote remote = open_remote(location, properties, credential);
    return SshScheduler::create(location, std::move(remote), std::move(options));
  };
  registry.add(std::move(descriptor));
}

}  // namespace cuttle::detail
