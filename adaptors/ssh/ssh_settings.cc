// Reading the ssh.* properties.
#include "adaptors/ssh/ssh_settings.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "adaptors/ssh/remote.h"
#include "cuttle/error.h"

namespace cuttle::detail {
namespace {

std::string home_directory() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  if (const passwd* entry = getpwuid(getuid()); entry && entry->pw_dir) return entry->pw_dir;
  return "/";
}

HostKeyPolicy parse_policy(const std::string& text) {
  if (text == "strict") return HostKeyPolicy::kStrict;
  if (text == "accept-new") return HostKeyPolicy::kAcceptNew;
  if (text == "insecure") return HostKeyPolicy::kInsecure;
  throw InvalidArgument("property ssh.hostkey.policy: '" + text +
                        "' is not one of strict, accept-new, insecure");
}

}  // namespace

std::vector<PropertyDescriptor> ssh_property_descriptors() {
  return {
      {"ssh.known_hosts", PropertyType::kString, "~/.ssh/known_hosts",
       "known_hosts file that host keys are checked against (hashed entries and [host]:port "
       "supported)"},
      {"ssh.hostkey.policy", PropertyType::kString, "strict",
       "strict: the host key must be known; accept-new: add unknown hosts, refuse changed keys; "
       "insecure: no host key check"},
      {"ssh.max.channels", PropertyType::kInt, "8",
       "at most this many commands run at once on the shared session (keep below sshd's "
       "MaxSessions, default 10)"},
      {"ssh.connect.timeout", PropertyType::kDuration, "15s",
       "bound on connecting, authenticating and every blocking SSH/SFTP exchange"},
      {"ssh.command.timeout", PropertyType::kDuration, "5m",
       "bound on one remote command when the caller gives none"},
      {"ssh.keepalive", PropertyType::kDuration, "30s",
       "idle interval after which a keep-alive is sent (0 disables)"},
      {"ssh.reconnect.backoff.max", PropertyType::kDuration, "10s",
       "longest wait between reconnect attempts after the connection was lost"},
      {"ssh.config", PropertyType::kString, "~/.ssh/config",
       "ssh_config file read for HostName, User, Port, IdentityFile, ProxyJump (empty or "
       "'none': none)"},
      {"ssh.executor", PropertyType::kString, "auto",
       "auto: run commands on a remote sh started once per session (the login shell and its "
       ".bashrc run once), falling back to one exec per command where it cannot start; off: "
       "one exec per command"},
  };
}

SshSettings SshSettings::from(const Properties& properties) {
  SshSettings s;
  s.known_hosts = expand_home(properties.get_string("ssh.known_hosts"));
  s.host_key_policy = parse_policy(properties.get_string("ssh.hostkey.policy"));
  s.max_channels = static_cast<int>(properties.get_int("ssh.max.channels"));
  if (s.max_channels < 1) throw InvalidArgument("property ssh.max.channels must be at least 1");
  s.connect_timeout = properties.get_duration("ssh.connect.timeout");
  if (s.connect_timeout.count() <= 0) {
    throw InvalidArgument("property ssh.connect.timeout must be positive");
  }
  s.command_timeout = properties.get_duration("ssh.command.timeout");
  if (s.command_timeout.count() <= 0) {
    throw InvalidArgument("property ssh.command.timeout must be positive");
  }
  s.keepalive = properties.get_duration("ssh.keepalive");
  s.reconnect_backoff_max = properties.get_duration("ssh.reconnect.backoff.max");
  std::string config = properties.get_string("ssh.config");
  s.config_file = config == "none" ? std::string() : expand_home(config);
  const std::string executor = properties.get_string("ssh.executor");
  if (executor != "auto" && executor != "off") {
    throw InvalidArgument("property ssh.executor: '" + executor + "' is not one of auto, off");
  }
  s.executor = executor == "auto";
  return s;
}

std::string SshSettings::key() const {
  return known_hosts + "|" + std::to_string(static_cast<int>(host_key_policy)) + "|" +
         std::to_string(max_channels) + "|" + std::to_string(connect_timeout.count()) + "|" +
         std::to_string(command_timeout.count()) + "|" + std::to_string(keepalive.count()) + "|" +
         std::to_string(reconnect_backoff_max.count()) + "|" + config_file + "|" +
         (executor ? "executor" : "exec");
}

std::string expand_home(const std::string& path) {
  if (path == "~") return home_directory();
  if (path.rfind("~/", 0) == 0) return home_directory() + path.substr(1);
  return path;
}

std::string local_user_name() {
  if (const passwd* entry = getpwuid(getuid()); entry && entry->pw_name) return entry->pw_name;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return "root";
}

}  // namespace cuttle::detail
