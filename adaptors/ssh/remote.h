// How other adaptors reach a host over SSH: a CommandRunner and a FileSystem that share
// one pooled libssh session per (user, host, port). The batch adaptors use this for
// slurm+ssh:// and torque+ssh://; ssh:// uses it for its own jobs.
// Thread-safety: the returned runner and file system may be used from any thread.
#pragma once

#include <memory>
#include <vector>

#include "cuttle/command_runner.h"
#include "cuttle/credential.h"
#include "cuttle/file_system.h"
#include "cuttle/location.h"
#include "cuttle/properties.h"

namespace cuttle::detail {

// The properties every SSH-transported adaptor accepts (known hosts file, host key
// policy, channel limit, timeouts, keep-alive ...). Adaptors append them to their own.
std::vector<PropertyDescriptor> ssh_property_descriptors();

struct Remote {
  std::shared_ptr<CommandRunner> runner;
  std::shared_ptr<FileSystem> files;
};

// Connects (or reuses the pooled session for) location's user@host:port, honouring
// ~/.ssh/config, the location's ?jump= hosts and the ssh properties.
// Throws AuthenticationFailed / ConnectionFailed with the host and the reason.
Remote open_remote(const Location& location, const Properties& properties,
                   const Credential& credential);

}  // namespace cuttle::detail
