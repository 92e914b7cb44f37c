// Text helpers for dialect parsers.
#include "adaptors/batch/text.h"

#include <charconv>
#include <ctime>

namespace cuttle::detail {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::optional<std::vector<std::string_view>> split_fields(std::string_view line, char separator,
                                                          std::size_t count) {
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < count) {
    std::size_t at = line.find(separator);
    if (at == std::string_view::npos) return std::nullopt;
    fields.push_back(line.substr(0, at));
    line.remove_prefix(at + 1);
  }
  fields.push_back(line);
  return fields;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<int> parse_int(std::string_view text) {
  text = trim(text);
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<TimePoint> parse_local_timestamp(std::string_view text) {
  text = trim(text);
  if (text.size() != 19 || (text[10] != 'T' && text[10] != ' ')) return std::nullopt;
  auto number = [&](std::size_t at, std::size_t length) {
    return parse_int(text.substr(at, length));
  };
  auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  // Outside these ranges the text is not a timestamp a scheduler prints, and a year far
  // from now overflows the clock's nanoseconds (found by tests/fuzz/fuzz_units).
  if (*year < 1970 || *year > 2200 || *month < 1 || *month > 12 || *day < 1 || *day > 31 ||
      *hour < 0 || *hour > 23 || *minute < 0 || *minute > 59 || *second < 0 || *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return time_point_from_time_t(t);
}

std::optional<TimePoint> time_point_from_time_t(std::time_t t) {
  constexpr std::time_t kYear2200 = 7'258'118'400;
  if (t < 0 || t > kYear2200) return std::nullopt;
  return Clock::from_time_t(t);
}

std::optional<std::chrono::seconds> parse_duration_clock(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  long days = 0;
  if (std::size_t dash = text.find('-'); dash != std::string_view::npos) {
    auto d = parse_int(text.substr(0, dash));
    if (!d) return std::nullopt;
    days = *d;
    text.remove_prefix(dash + 1);
  }
  std::vector<long> parts;
  while (true) {
    std::size_t colon = text.find(':');
    auto part = parse_int(text.substr(0, colon));
    if (!part || *part < 0) return std::nullopt;
    parts.push_back(*part);
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
  }
  long seconds = 0;
  if (parts.size() == 1) {
    seconds = days > 0 ? parts[0] * 3600 : parts[0] * 60;  // "D-HH" or plain minutes
  } else if (parts.size() == 2) {
    seconds = days > 0 ? parts[0] * 3600 + parts[1] * 60 : parts[0] * 60 + parts[1];
  } else if (parts.size() == 3) {
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  } else {
    return std::nullopt;
  }
  return std::chrono::seconds(days * 86400 + seconds);
}

long ceil_minutes(std::chrono::seconds duration) { return (duration.count() + 59) / 60; }

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

}  // namespace cuttle::detail
