// Small text helpers the dialect parsers share (split, trim, times), so no parser
// re-implements them. Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cuttle/job_status.h"

namespace cuttle::detail {

// Lines without their '\n' (and a trailing '\r'); empty lines dropped.
std::vector<std::string_view> split_lines(std::string_view text);
// Exactly `count` fields: the first count-1 separators split, the last field keeps any
// further separators (so a free-text field printed last may contain the separator).
// nullopt when there are fewer than count fields.
std::optional<std::vector<std::string_view>> split_fields(std::string_view line, char separator,
                                                          std::size_t count);
std::string_view trim(std::string_view text);
std::optional<int> parse_int(std::string_view text);
// "YYYY-MM-DDTHH:MM:SS" in the target's local time zone (what Slurm prints), or with
// a ' ' instead of 'T'. nullopt for "N/A", "Unknown", "None", "" and malformed text.
std::optional<TimePoint> parse_local_timestamp(std::string_view text);
// A time_t as a TimePoint; nullopt before 1970 or after 2200 (no scheduler prints such
// times, and far ones overflow the clock's nanoseconds: found by tests/fuzz).
std::optional<TimePoint> time_point_from_time_t(std::time_t t);
// "[D-]HH:MM:SS", "MM:SS", "M" (minutes), as Slurm and Torque print durations.
// nullopt for "UNLIMITED", "INFINITE", "NOT_SET", "" and malformed text.
std::optional<std::chrono::seconds> parse_duration_clock(std::string_view text);
// The first line of a command's output, bounded to 300 characters, for messages.
std::string first_line(const std::string& text);
// Seconds, rounded up to whole minutes (the granularity of batch time limits).
long ceil_minutes(std::chrono::seconds duration);

}  // namespace cuttle::detail
