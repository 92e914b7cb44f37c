// Typed adaptor properties and the text parsers they share with config files and flags.
#include "cuttle/properties.h"

#include <cctype>
#include <limits>

#include "cuttle/error.h"

namespace cuttle {
namespace {

std::string trim_lower(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// Splits "123abc" into 123 and "abc"; throws when there is no leading number.
std::pair<std::uint64_t, std::string> number_and_unit(const std::string& text, const char* what) {
  std::string t = trim_lower(text);
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
    std::uint64_t digit = static_cast<std::uint64_t>(t[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      throw InvalidArgument(std::string(what) + " '" + text + "' is too large");
    }
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0)
    throw InvalidArgument(std::string(what) + " '" + text + "' does not start with a number");
  return {value, t.substr(i)};
}

std::uint64_t checked_multiply(std::uint64_t value, std::uint64_t factor, const std::string& text,
                               const char* what) {
  if (factor != 0 && value > std::numeric_limits<std::uint64_t>::max() / factor) {
    throw InvalidArgument(std::string(what) + " '" + text + "' is too large");
  }
  return value * factor;
}

}  // namespace

const char* to_string(PropertyType type) {
  switch (type) {
    case PropertyType::kString:
      return "string";
    case PropertyType::kInt:
      return "int";
    case PropertyType::kBool:
      return "bool";
    case PropertyType::kDuration:
      return "duration";
    case PropertyType::kSize:
      return "size";
  }
  return "string";
}

std::chrono::milliseconds parse_duration(const std::string& text) {
  auto [value, unit] = number_and_unit(text, "duration");
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "s" || unit == "sec") {
    factor = 1000;
  } else if (unit == "ms") {
    factor = 1;
  } else if (unit == "m" || unit == "min") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (unit == "d") {
    factor = 86'400'000;
  } else {
    throw InvalidArgument("duration '" + text + "' has unknown unit '" + unit +
                          "' (use ms, s, m, h or d)");
  }
  std::uint64_t ms = checked_multiply(value, factor, text, "duration");
  if (ms > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw InvalidArgument("duration '" + text + "' is too large");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::uint64_t parse_size(const std::string& text) {
  auto [value, unit] = number_and_unit(text, "size");
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  std::uint64_t factor = 1;
  if (unit.empty()) {
    factor = 1;
  } else if (unit == "k") {
    factor = 1ULL << 10;
  } else if (unit == "m") {
    factor = 1ULL << 20;
  } else if (unit == "g") {
    factor = 1ULL << 30;
  } else if (unit == "t") {
    factor = 1ULL << 40;
  } else {
    throw InvalidArgument("size '" + text + "' has unknown unit (use K, M, G or T)");
  }
  return checked_multiply(value, factor, text, "size");
}

bool parse_bool(const std::string& text) {
  std::string t = trim_lower(text);
  if (t == "true" || t == "yes" || t == "1" || t == "on") return true;
  if (t == "false" || t == "no" || t == "0" || t == "off") return false;
  throw InvalidArgument("'" + text + "' is not a boolean (true/false, yes/no, 1/0)");
}

namespace {

std::int64_t parse_int(const std::string& text) {
  std::string t = trim_lower(text);
  bool negative = !t.empty() && t[0] == '-';
  std::string digits = negative ? t.substr(1) : t;
  if (digits.empty()) throw InvalidArgument("'" + text + "' is not an integer");
  std::int64_t value = 0;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      throw InvalidArgument("'" + text + "' is not an integer");
    }
    if (value > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) {
      throw InvalidArgument("'" + text + "' is too large");
    }
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

void check_type(const PropertyDescriptor& d, const std::string& value) {
  try {
    switch (d.type) {
      case PropertyType::kString:
        break;
      case PropertyType::kInt:
        parse_int(value);
        break;
      case PropertyType::kBool:
        parse_bool(value);
        break;
      case PropertyType::kDuration:
        parse_duration(value);
        break;
      case PropertyType::kSize:
        parse_size(value);
        break;
    }
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("property " + d.name + " (" + to_string(d.type) + "): " + e.what());
  }
}

}  // namespace

Properties::Properties(const std::vector<PropertyDescriptor>& declared,
                       const std::map<std::string, std::string>& values) {
  for (const auto& d : declared) values_[d.name] = d.default_value;
  for (const auto& [key, value] : values) {
    const PropertyDescriptor* found = nullptr;
    for (const auto& d : declared) {
      if (d.name == key) found = &d;
    }
    if (found == nullptr) {
      std::string valid;
      for (const auto& d : declared) valid += (valid.empty() ? "" : ", ") + d.name;
      throw InvalidArgument("unknown property '" + key +
                            "'; valid properties: " + (valid.empty() ? "(none)" : valid));
    }
    check_type(*found, value);
    values_[key] = value;
  }
}

const std::string& Properties::raw(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw InvalidArgument("property '" + name + "' is not declared");
  return it->second;
}

std::string Properties::get_string(const std::string& name) const { return raw(name); }
std::int64_t Properties::get_int(const std::string& name) const { return parse_int(raw(name)); }
bool Properties::get_bool(const std::string& name) const { return parse_bool(raw(name)); }
std::chrono::milliseconds Properties::get_duration(const std::string& name) const {
  return parse_duration(raw(name));
}
std::uint64_t Properties::get_size(const std::string& name) const { return parse_size(raw(name)); }

}  // namespace cuttle
