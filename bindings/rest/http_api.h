// The service's HTTP front, above HttpServer: splits the target, checks the bearer token
// (every path but /health), routes to the contracts' handlers, and turns every error into
// a JSON body {"error", "field", "reason"}; serves /health, /metrics and /openapi.json.
// A contract (joblauncher today; others later) registers its routes on router() and uses
// the response helpers below.
// Thread-safety: handle() is called concurrently from the server's workers, and
// answer_at_once() from its I/O thread; routes are registered before the server starts.
#pragma once

#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

// Job ids are UUIDs: anything else (empty, longer than 64, other than [A-Za-z0-9-]) is
// answered 404 before the service is asked.
bool valid_job_id(const std::string& id);

HttpResponse json_response(int status, std::string body);
HttpResponse error_response(int status, const std::string& field, const std::string& reason);
// The JSON error answering `error` (what a handler threw, or what deferred work met): 503
// for a store outage, the status a RequestError names, 400 for an invalid request, 404
// for an unknown job, else 500 (logged with `request`).
HttpResponse error_answer(const HttpRequest& request, std::exception_ptr error);
// "https://host:port" as the client reached us (public_url when configured).
std::string base_url(const HttpRequest& request, const Config& config);
// Who sent `request`, for contracts whose jobs belong to a caller: the configured name of
// its bearer token ("token-" + the first 12 hex digits of its digest when the token has no
// name); "anonymous" when no configured token matches (only possible with tokens off).
std::string caller_of(const HttpRequest& request, const Config& config);
// The query of `request.target`; RequestError 400 when it is not valid percent-encoding.
Query query_of(const HttpRequest& request);

class HttpApi {
 public:
  explicit HttpApi(JobService& service);
  Router& router() { return router_; }
  // Paths starting with `prefix` skip the bearer-token check: the contract behind them
  // authenticates its callers itself (the container job service's API keys).
  // REQUIRES: called before the server starts.
  void authenticates_itself(std::string prefix) { own_auth_prefixes_.push_back(std::move(prefix)); }
  HttpResponse handle(const HttpRequest& request);
  // The answer of a route's quick handler (see Router), for the server's I/O thread;
  // nullopt when the request must go to handle() on a worker. Never blocks.
  std::optional<HttpResponse> answer_at_once(const HttpRequest& request);

 private:
  HttpResponse dispatch(const HttpRequest& request);
  // `response`'s deferred work, made to count its answer and to answer what it throws.
  void account_deferred(const HttpRequest& request, HttpResponse& response);
  // Counts the response and logs it (debug).
  void account(const HttpRequest& request, const HttpResponse& response);
  bool authorized(const HttpRequest& request) const;

  bool authenticates_itself_path(const std::string& path) const;

  JobService& service_;
  Router router_;
  std::vector<std::string> own_auth_prefixes_;
};

// The OpenAPI document served at /openapi.json (docs/openapi.json, embedded at build time).
const std::string& openapi_document();

}  // namespace cuttle::rest
