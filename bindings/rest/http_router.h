// Routes a request to the handler a contract registered for its method and path pattern.
// A pattern is literal segments and "{}" for exactly one path segment; the segments that
// "{}" matched are passed to the handler in order. "{}SUFFIX" (e.g. "{}:cancel", a Google
// API custom method as GA4GH TES uses it) matches a segment ending in SUFFIX and passes
// what precedes it. The first route that matches wins: add "{}:cancel" before "{}". A GET route
// also answers HEAD. A route may add a quick handler: one that answers without blocking (from
// memory) or declines, so the server can call it on its I/O thread and skip the worker hand-off.
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
  // REQUIRES: never blocks (no store, no scheduler, no lock held for long); nullopt
  // declines, and the request goes to `Handler` on a worker.
  using QuickHandler =
      std::function<std::optional<HttpResponse>(const HttpRequest&, const Params&)>;

  void add(const std::string& method, const std::string& pattern, Handler handler,
           QuickHandler quick = {});
  // The handler's response; nullopt when no pattern matches `path` (decoded, without the
  // query). When a pattern matches but no method does, `*allowed` gets the methods that
  // would ("GET, POST") and the result is nullopt.
  std::optional<HttpResponse> route(const HttpRequest& request, const std::string& path,
                                    std::string* allowed) const;
  // The quick handler's answer for the route `request` matches; nullopt when it has none
  // or it declines.
  std::optional<HttpResponse> route_quick(const HttpRequest& request,
                                          const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    QuickHandler quick;
  };
  static std::vector<std::string> split(const std::string& path);
  // Whether `route`'s pattern matches `segments`; fills `params`.
  static bool matches(const Route& route, const std::vector<std::string>& segments, Params& params);
  static bool serves(const Route& route, const std::string& method);
  std::vector<Route> routes_;
};

}  // namespace cuttle::rest
