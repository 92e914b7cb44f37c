// Routes a request to the handler a contract registered for its method and path pattern.
// A pattern is literal segments and "{}" for exactly one path segment; the segments that
// "{}" matched are passed to the handler in order. A GET route also answers HEAD.
// Thread-safety: add() during setup only; route() from any number of threads after.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bindings/rest/http_message.h"

namespace cuttle::rest {

class Router {
 public:
  using Params = std::vector<std::string>;
  using Handler = std::function<HttpResponse(const HttpRequest&, const Params&)>;

  void add(const std::string& method, const std::string& pattern, Handler handler);
  // The handler's response; nullopt when no pattern matches `path` (decoded, without the
  // query). When a pattern matches but no method does, `*allowed` gets the methods that
  // would ("GET, POST") and the result is nullopt.
  std::optional<HttpResponse> route(const HttpRequest& request, const std::string& path,
                                    std::string* allowed) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  static std::vector<std::string> split(const std::string& path);
  std::vector<Route> routes_;
};

}  // namespace cuttle::rest
