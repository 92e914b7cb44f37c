#include "bindings/rest/tes_fields.h"

#include <cmath>

namespace cuttle::rest::tes {

std::string Field::checked(const std::string& text, const std::string& path) const {
  if (text.size() > limits_.max_string_bytes) throw RequestError(413, path, "is too long");
  if (text.find('\0') != std::string::npos) {
    throw RequestError(400, path, "must not contain NUL bytes");
  }
  return text;
}

std::string Field::text() const {
  if (!value_.is_string()) fail("must be a string");
  return checked(value_.get<std::string>(), path_);
}

bool Field::boolean() const {
  if (!value_.is_boolean()) fail("must be true or false");
  return value_.get<bool>();
}

double Field::number() const {
  if (!value_.is_number()) fail("must be a number");
  const double v = value_.get<double>();
  if (!std::isfinite(v)) fail("must be a finite number");
  return v;
}

std::int64_t Field::integer(std::int64_t min, std::int64_t max) const {
  if (!value_.is_number_integer()) fail("must be an integer");
  if (value_.is_number_unsigned() && value_.get<std::uint64_t>() > static_cast<std::uint64_t>(max))
    fail("must be between " + std::to_string(min) + " and " + std::to_string(max));
  const std::int64_t v = value_.get<std::int64_t>();
  if (v < min || v > max) {
    fail("must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return v;
}

std::size_t Field::array(std::size_t max_items) const {
  if (!value_.is_array()) fail("must be a list");
  if (value_.size() > max_items) {
    fail("has " + std::to_string(value_.size()) + " entries; the limit is " +
             std::to_string(max_items),
         413);
  }
  return value_.size();
}

std::vector<std::string> Field::texts(std::size_t max_items) const {
  const std::size_t n = array(max_items);
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(element(i).text());
  return out;
}

std::map<std::string, std::string> Field::text_map(std::size_t max_items) const {
  if (!value_.is_object()) fail("must be an object of strings");
  if (value_.size() > max_items) {
    fail("has " + std::to_string(value_.size()) + " entries; the limit is " +
             std::to_string(max_items),
         413);
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : value_.items()) {
    const std::string path = path_ + "." + key;
    checked(key, path);
    if (!value.is_string()) throw RequestError(400, path, "must be a string");
    out[key] = checked(value.get<std::string>(), path);
  }
  return out;
}

}  // namespace cuttle::rest::tes
