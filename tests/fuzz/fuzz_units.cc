// Fuzzes the duration and size parsers shared by properties, the CLI and the service
// config ("90s", "1.5h", "4GiB"), and the clock durations batch schedulers print
// ("1-02:03:04"). They must refuse bad text with InvalidArgument, never overflow.
#include <cstdint>
#include <string>

#include "adaptors/batch/text.h"
#include "cuttle/error.h"
#include "cuttle/properties.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)cuttle::parse_duration(text);
  } catch (const cuttle::InvalidArgument&) {
  }
  try {
    (void)cuttle::parse_size(text);
  } catch (const cuttle::InvalidArgument&) {
  }
  try {
    (void)cuttle::parse_bool(text);
  } catch (const cuttle::InvalidArgument&) {
  }
  (void)cuttle::detail::parse_duration_clock(text);
  (void)cuttle::detail::parse_local_timestamp(text);
  (void)cuttle::detail::parse_int(text);
  return 0;
}
