// Structured log lines to stderr: `ts=... level=... component=... msg="..." k=v`.
// Level from CUTTLE_LOG (error|warn|info|debug; default warn).
// Thread-safety: log() may be called from any thread; lines never interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace cuttle::detail {

enum class LogLevel { kError, kWarn, kInfo, kDebug };

bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<std::pair<std::string_view, std::string>> fields = {});

}  // namespace cuttle::detail
