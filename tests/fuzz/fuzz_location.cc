// Fuzzes Location::parse, which reads every scheduler URI a user or a REST config gives.
// Beyond "no crash": whatever parses must survive its own canonical text unchanged
// (location.h promises parse(to_string()) == *this).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cuttle/error.h"
#include "cuttle/location.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  cuttle::Location parsed;
  try {
    parsed = cuttle::Location::parse(text);
  } catch (const cuttle::InvalidArgument&) {
    return 0;  // a clear refusal is the expected answer to most inputs
  }
  const std::string canonical = parsed.to_string();
  if (!(cuttle::Location::parse(canonical) == parsed)) std::abort();
  return 0;
}
