// Reads a TES request document one typed field at a time; every refusal is a
// RequestError naming the field by its path in the document ("executors[1].env.PATH").
// Thread-safety: a value over a JSON document the caller keeps alive.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "bindings/rest/job_request.h"

namespace cuttle::rest::tes {

class Field {
 public:
  Field(const nlohmann::json& value, std::string path, const Limits& limits)
      : value_(value), path_(std::move(path)), limits_(limits) {}

  const std::string& path() const { return path_; }
  const nlohmann::json& json() const { return value_; }
  // Present and not null.
  bool has(const std::string& key) const {
    return value_.is_object() && value_.contains(key) && !value_[key].is_null();
  }
  // A missing member reads as null (for its name in a refusal).
  Field member(const std::string& key) const {
    static const nlohmann::json kNull;
    const bool present = value_.is_object() && value_.contains(key);
    return Field(present ? value_[key] : kNull, path_.empty() ? key : path_ + "." + key, limits_);
  }
  Field element(std::size_t i) const {
    return Field(value_[i], path_ + "[" + std::to_string(i) + "]", limits_);
  }
  [[noreturn]] void fail(const std::string& reason, int status = 400) const {
    throw RequestError(status, path_, reason);
  }

  // REQUIRES for each: the value is present (check has() on the parent first).
  std::string text() const;
  bool boolean() const;
  double number() const;  // finite
  std::int64_t integer(std::int64_t min, std::int64_t max) const;
  // An array (at most `max_items` long); its elements are read by element(i).
  std::size_t array(std::size_t max_items) const;
  std::vector<std::string> texts(std::size_t max_items) const;
  std::map<std::string, std::string> text_map(std::size_t max_items) const;

  // The optional member `key` as text; `fallback` when absent or null.
  std::string text_of(const std::string& key, const std::string& fallback = {}) const {
    return has(key) ? member(key).text() : fallback;
  }

 private:
  std::string checked(const std::string& text, const std::string& path) const;

  const nlohmann::json& value_;
  std::string path_;
  const Limits& limits_;
};

}  // namespace cuttle::rest::tes
