#include "internal/path_text.h"

#include "internal/split.h"

namespace cuttle::detail {

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join_path(const std::string& directory, const std::string& name) {
  if (directory.empty() || (!name.empty() && name.front() == '/')) return name;
  if (directory.back() == '/') return directory + name;
  return directory + "/" + name;
}

std::vector<std::string_view> resolve_segments(std::string_view path, bool& climbed_out) {
  climbed_out = false;
  std::vector<std::string_view> segments;
  for (std::string_view segment : split_on(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment != "..") {
      segments.push_back(segment);
    } else if (segments.empty()) {
      climbed_out = true;
    } else {
      segments.pop_back();
    }
  }
  return segments;
}

std::string join_segments(const std::vector<std::string_view>& segments, bool absolute) {
  std::string result;
  for (std::string_view segment : segments) {
    if (absolute || !result.empty()) result += '/';
    result += segment;
  }
  if (result.empty() && absolute) result = "/";
  return result;
}

}  // namespace cuttle::detail
