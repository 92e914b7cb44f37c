// The service's HTTP front, above HttpServer: splits the target, checks the bearer token
// (every path but /health), routes to the contracts' handlers, and turns every error into
// a JSON body {"error", "field", "reason"}; serves /health, /metrics and /openapi.json.
// A contract (joblauncher today; others later) registers its routes on router() and uses
// the response helpers below.
// Thread-safety: handle() is called concurrently from the server's workers, and
// answer_at_once() from its I/O thread; routes are registered before the server starts.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "bindings/rest/http_message.h"
#include "bindings/rest/http_router.h"
#include "bindings/rest/job_service.h"

namespace cuttle::rest {

// Decoded query parameters of a request target (repeated keys kept in order).
struct Query {
  std::multimap<std::string, std::string> values;
  std::string get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? std::string() : it->second;
  }
};

HttpResponse json_response(int status, std::string body);
HttpResponse error_response(int status, const std::string& field, const std::string& reason);
// "https://host:port" as the client reached us (public_url when configured).
std::string base_url(const HttpRequest& request, const Config& config);
// The query of `request.target`; RequestError 400 when it is not valid percent-encoding.
Query query_of(const HttpRequest& request);
// Whether `id` can be a job id (a UUID: letters, digits, '-'); every contract answers 404
// for anything else before the service is asked.
bool valid_job_id(const std::string& id);

class HttpApi {
 public:
  explicit HttpApi(JobService& service);
  Router& router() { return router_; }
  HttpResponse handle(const HttpRequest& request);
  // The answer of a route's quick handler (see Router), for the server's I/O thread;
  // nullopt when the request must go to handle() on a worker. Never blocks.
  std::optional<HttpResponse> answer_at_once(const HttpRequest& request);

 private:
  HttpResponse dispatch(const HttpRequest& request);
  // Counts the response and logs it (debug).
  void account(const HttpRequest& request, const HttpResponse& response);
  bool authorized(const HttpRequest& request) const;

  JobService& service_;
  Router router_;
};

// The OpenAPI document served at /openapi.json (docs/openapi.json, embedded at build time).
const std::string& openapi_document();

}  // namespace cuttle::rest
