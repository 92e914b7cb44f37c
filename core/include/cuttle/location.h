// Where a scheduler lives: one parsed URI of the form
//   scheme[+transport]://[user@]host[:port][/path][?key=value&...]
// e.g. local://  ssh://alice@hpc:2222  slurm+ssh://alice@login.hpc
// kubernetes://api:6443?namespace=jobs Parsed once, by Location::parse. Thread-safety: value type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cuttle {

struct Location {
  std::string scheme;     // lower case: "local", "ssh", "slurm", "torque", "kubernetes"
  std::string transport;  // lower case, empty when none: "ssh" in "slurm+ssh"
  std::string user;       // percent-decoded
  std::string host;       // without brackets for IPv6 literals
  std::optional<std::uint16_t> port;
  std::string path;                          // percent-decoded, starts with '/' when present
  std::map<std::string, std::string> query;  // percent-decoded keys and values

  // Throws InvalidArgument naming the part that is wrong (empty scheme, bad port,
  // control characters, unterminated IPv6 bracket, duplicate query key, ...), or saying
  // that the text or its canonical form (to_string) is longer than 4096 characters.
  static Location parse(std::string_view uri);

  // "slurm+ssh" or "slurm".
  std::string full_scheme() const;
  // The canonical text; parse(to_string()) == *this.
  std::string to_string() const;

  bool operator==(const Location&) const = default;
};

}  // namespace cuttle
