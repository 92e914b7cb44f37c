// The library version. Thread-safety: constants.
#pragma once

namespace cuttle {
inline constexpr const char* kVersion = "0.1.0";
}
