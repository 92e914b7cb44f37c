// Which machine a location really means: ~/.ssh/config (HostName, User, Port,
// IdentityFile, ProxyJump) applied to the location's user@host:port, and the jump hosts
// of ?jump=user@host:port,... or ProxyJump. libssh's own config reader is not used:
// libssh 0.10 turns ProxyJump into a ProxyCommand that spawns the ssh binary.
// Thread-safety: pure functions (they read the config file).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/credential.h"
#include "cuttle/location.h"

namespace cuttle::detail {

// One machine to open an SSH session to.
struct Endpoint {
  std::string user;
  std::string host;  // the address connected to (after HostName)
  std::uint16_t port = 22;
  std::vector<std::string> identity_files;  // from IdentityFile, "~" expanded
  // "user@host:port" ([host] for IPv6 literals).
  std::string describe() const;
};

// The first value of each keyword among the Host blocks matching `alias` (OpenSSH's
// "first obtained value wins"); IdentityFile accumulates. A missing file gives nothing;
// a bad value (a Port that is not 1-65535) throws InvalidArgument naming it and the host.
struct HostConfig {
  std::string host_name;
  std::string user;
  std::optional<std::uint16_t> port;
  std::vector<std::string> identity_files;
  std::string proxy_jump;
};
HostConfig read_host_config(const std::string& config_file, const std::string& alias);
// Same, from the text of a config file (for tests).
HostConfig parse_host_config(const std::string& text, const std::string& alias);

// One "[user@]host[:port]" element of a jump list ("[::1]:2222" for IPv6).
struct JumpSpec {
  std::string user;
  std::string host;
  std::optional<std::uint16_t> port;
};
// Throws InvalidArgument naming the bad element.
std::vector<JumpSpec> parse_jump_list(const std::string& text);

// Resolves one machine: explicit user/port win over the config, which wins over the
// defaults (the local user, port 22).
Endpoint resolve_endpoint(const std::string& alias, const std::string& user,
                          std::optional<std::uint16_t> port, const std::string& config_file);

struct Route {
  Endpoint target;
  std::vector<Endpoint> jumps;  // first hop first
};
// The location's target (the credential's user overrides the location's) and its jumps:
// ?jump= when given (jump=none disables config ProxyJump), else the config's ProxyJump.
Route resolve_route(const Location& location, const Credential& credential,
                    const std::string& config_file);

}  // namespace cuttle::detail
