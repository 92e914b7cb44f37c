// The ONE shell-quoting function. Everything Cuttle places into a POSIX sh command line
// or script goes through quote(). Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cuttle {

// Returns `text` as one POSIX sh word that expands to exactly `text`, whatever bytes it
// holds (quotes, newlines, $(...), backticks, globs, non-UTF-8). Uses single quotes,
// with ' written as '\''. The empty string becomes ''.
// Throws InvalidArgument for a NUL byte, which no shell word can carry.
std::string quote(std::string_view text);

// quote() of each element, joined by single spaces.
std::string quote_command(const std::vector<std::string>& argv);

}  // namespace cuttle
