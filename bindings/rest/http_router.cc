#include "bindings/rest/http_router.h"

#include "internal/split.h"

namespace cuttle::rest {

// Every request's path goes through here: core's split_on, not a stringstream per call.
std::vector<std::string> Router::split(const std::string& path) {
  std::vector<std::string> segments;
  for (std::string_view segment : detail::split_on(path, '/')) {
    if (!segment.empty()) segments.emplace_back(segment);
  }
  return segments;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler,
                 QuickHandler quick) {
  routes_.push_back({method, split(pattern), std::move(handler), std::move(quick)});
}

bool Router::matches(const Route& route, const std::vector<std::string>& segments, Params& params) {
  if (route.segments.size() != segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& pattern = route.segments[i];
    if (pattern == "{}") {
      params.push_back(segments[i]);
    } else if (pattern.size() > 2 && pattern.compare(0, 2, "{}") == 0) {
      // "{}:cancel": a non-empty parameter followed by a literal suffix.
      const std::size_t suffix = pattern.size() - 2;
      if (segments[i].size() <= suffix ||
          segments[i].compare(segments[i].size() - suffix, suffix, pattern, 2) != 0) {
        return false;
      }
      params.push_back(segments[i].substr(0, segments[i].size() - suffix));
    } else if (pattern != segments[i]) {
      return false;
    }
  }
  return true;
}

bool Router::serves(const Route& route, const std::string& method) {
  return route.method == method || (route.method == "GET" && method == "HEAD");
}

std::optional<HttpResponse> Router::route_quick(const HttpRequest& request,
                                                const std::string& path) const {
  const std::vector<std::string> segments = split(path);
  Params params;
  for (const auto& r : routes_) {
    if (!matches(r, segments, params) || !serves(r, request.method)) continue;
    return r.quick ? r.quick(request, params) : std::nullopt;
  }
  return std::nullopt;
}

std::optional<HttpResponse> Router::route(const HttpRequest& request, const std::string& path,
                                          std::string* allowed) const {
  const std::vector<std::string> segments = split(path);
  std::string methods;
  Params params;
  for (const auto& r : routes_) {
    if (!matches(r, segments, params)) continue;
    if (serves(r, request.method)) return r.handler(request, params);
    if (methods.find(r.method) == std::string::npos) {
      methods += (methods.empty() ? "" : ", ") + r.method;
    }
  }
  if (allowed) *allowed = methods;
  return std::nullopt;
}

}  // namespace cuttle::rest
