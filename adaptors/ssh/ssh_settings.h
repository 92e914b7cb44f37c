// The ssh.* properties every SSH-transported adaptor accepts, read once into a value.
// Thread-safety: value type.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cuttle/properties.h"

namespace cuttle::detail {

enum class HostKeyPolicy {
  kStrict,     // the key must already be in known_hosts
  kAcceptNew,  // an unknown host is added; a changed key is still refused
  kInsecure,   // no check at all (explicit opt-in)
};

struct SshSettings {
  std::string known_hosts;  // local path, "~" expanded
  HostKeyPolicy host_key_policy = HostKeyPolicy::kStrict;
  int max_channels = 8;
  std::chrono::milliseconds connect_timeout{15000};
  std::chrono::milliseconds command_timeout{300000};
  std::chrono::milliseconds keepalive{30000};
  std::chrono::milliseconds reconnect_backoff_max{10000};
  std::string config_file;  // local path of an ssh_config, empty: none
  bool executor = true;     // ssh.executor=auto: commands go to a remote executor

  // REQUIRES: properties were declared with ssh_property_descriptors().
  static SshSettings from(const Properties& properties);
  // Every field as text; two settings with the same key may share a session.
  std::string key() const;
};

// "~" and "~/..." expanded with $HOME (or the password database).
std::string expand_home(const std::string& path);
// The name of the user running this process.
std::string local_user_name();

}  // namespace cuttle::detail
