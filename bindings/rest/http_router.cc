#include "bindings/rest/http_router.h"

#include <sstream>

namespace cuttle::rest {

std::vector<std::string> Router::split(const std::string& path) {
  std::vector<std::string> segments;
  std::stringstream in(path);
  std::string segment;
  while (std::getline(in, segment, '/')) {
    if (!segment.empty()) segments.push_back(segment);
  }
  return segments;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, split(pattern), std::move(handler)});
}

std::optional<HttpResponse> Router::route(const HttpRequest& request, const std::string& path,
                                          std::string* allowed) const {
  const std::vector<std::string> segments = split(path);
  std::string methods;
  for (const auto& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    Params params;
    bool match = true;
    for (std::size_t i = 0; match && i < segments.size(); ++i) {
      if (r.segments[i] == "{}") {
        params.push_back(segments[i]);
      } else {
        match = r.segments[i] == segments[i];
      }
    }
    if (!match) continue;
    if (r.method == request.method || (r.method == "GET" && request.method == "HEAD")) {
      return r.handler(request, params);
    }
    if (methods.find(r.method) == std::string::npos) {
      methods += (methods.empty() ? "" : ", ") + r.method;
    }
  }
  if (allowed) *allowed = methods;
  return std::nullopt;
}

}  // namespace cuttle::rest
