// Fuzzes the ~/.ssh/config reader and the ?jump= list parser: both read text the user
// (or a REST client's location) supplies.
#include <cstdint>
#include <string>

#include "adaptors/ssh/ssh_config.h"
#include "cuttle/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The first line names the alias looked up, the rest is the config file.
  const std::size_t newline = text.find('\n');
  const std::string alias = text.substr(0, newline == std::string::npos ? 0 : newline);
  const std::string config = newline == std::string::npos ? text : text.substr(newline + 1);
  try {
    (void)cuttle::detail::parse_host_config(config, alias.empty() ? "host" : alias);
  } catch (const cuttle::InvalidArgument&) {
    // A bad value ("Port [007") is refused naming the keyword and the host.
  }
  try {
    (void)cuttle::detail::parse_jump_list(text);
  } catch (const cuttle::InvalidArgument&) {
  }
  return 0;
}
