// Typed, documented adaptor properties. Every adaptor declares its properties once;
// values given by a user are checked against that declaration, and an unknown key is
// an error that lists the valid ones. Thread-safety: value types.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cuttle {

enum class PropertyType {
  kString,
  kInt,       // decimal integer
  kBool,      // true/false/yes/no/1/0
  kDuration,  // "30s", "500ms", "5m", "2h", or plain seconds
  kSize,      // "512", "4K", "16M", "2G" (binary units, bytes)
};

const char* to_string(PropertyType type);

struct PropertyDescriptor {
  std::string name;  // dotted lower case: "poll.interval.min"
  PropertyType type = PropertyType::kString;
  std::string default_value;  // in the same text form a user writes
  std::string help;
};

// A validated set of values for one adaptor. Values not given take their default.
class Properties {
 public:
  Properties() = default;
  // Throws InvalidArgument when a key is not declared (listing the valid keys) or a
  // value does not parse as its declared type (naming the key and the reason).
  Properties(const std::vector<PropertyDescriptor>& declared,
             const std::map<std::string, std::string>& values);

  std::string get_string(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  std::chrono::milliseconds get_duration(const std::string& name) const;
  std::uint64_t get_size(const std::string& name) const;

  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  const std::string& raw(const std::string& name) const;
  std::map<std::string, std::string> values_;  // every declared key, defaults filled in
};

// Parsers shared with other inputs (command line, config files). Throw InvalidArgument.
std::chrono::milliseconds parse_duration(const std::string& text);
std::uint64_t parse_size(const std::string& text);
bool parse_bool(const std::string& text);

}  // namespace cuttle
