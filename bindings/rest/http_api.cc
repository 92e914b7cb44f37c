#include "bindings/rest/http_api.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <cctype>
#include <sstream>

#include "bindings/rest/job_request.h"
#include "bindings/rest/mac_auth.h"
#include "bindings/rest/store_errors.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The decoded path of an origin-form target; false when it is not one.
bool path_of(const std::string& target, std::string& path) {
  if (target.empty() || target.front() != '/') return false;
  try {
    Poco::URI::decode(target.substr(0, target.find('?')), path);
  } catch (const Poco::Exception&) {
    return false;
  }
  if (path.find('\0') != std::string::npos) return false;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return true;
}

// The configured token the request's bearer token matches; nullptr when none does.
const TokenConfig* matching_token(const HttpRequest& request, const Config& config) {
  const std::string header = request.header("Authorization");
  if (header.size() < 8 || header.compare(0, 7, "Bearer ") != 0) return nullptr;
  const std::string digest = sha256_hex(header.substr(7));
  const TokenConfig* found = nullptr;
  // Every token is compared (constant time, no early exit): timing tells nothing.
  for (const auto& token : config.tokens) {
    if (constant_time_equal(digest, token.sha256) && !found) found = &token;
  }
  return found;
}

}  // namespace

bool valid_job_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
  }
  return true;
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse error_response(int status, const std::string& field, const std::string& reason) {
  HttpResponse response = json_response(
      status, dump({{"error", reason_phrase(status)}, {"field", field}, {"reason", reason}}));
  return response;
}

Query query_of(const HttpRequest& request) {
  Query query;
  const auto q = request.target.find('?');
  if (q == std::string::npos) return query;
  std::stringstream pairs(request.target.substr(q + 1));
  std::string pair;
  try {
    while (std::getline(pairs, pair, '&')) {
      const auto eq = pair.find('=');
      std::string key;
      std::string value;
      Poco::URI::decode(pair.substr(0, eq), key, true);
      if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), value, true);
      query.values.emplace(key, value);
    }
  } catch (const Poco::Exception&) {
    throw RequestError(400, "(uri)", "is not a valid request target");
  }
  return query;
}

std::string base_url(const HttpRequest& request, const Config& config) {
  if (!config.public_url.empty()) return config.public_url;
  const std::string scheme = request.tls ? "https://" : "http://";
  const std::string host = request.header("Host");
  bool ok = !host.empty() && host.size() <= 255;
  for (char c : host) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
                c == '[' || c == ']');
  }
  if (ok) return scheme + host;
  const std::string& listen = config.listen_host;
  const bool v6 = listen.find(':') != std::string::npos;
  return scheme + (v6 ? "[" + listen + "]" : listen) + ":" + std::to_string(config.listen_port);
}

HttpApi::HttpApi(JobService& service) : service_(service) {
  router_.add("GET", "/health", [this](const HttpRequest&, const Router::Params&) {
    const json health = service_.health();
    const bool ok = health["status"] == "ok";
    HttpResponse response = json_response(ok ? 200 : 503, dump(health));
    if (!ok) response.set("Retry-After", "1");
    return response;
  });
  router_.add("GET", "/metrics", [this](const HttpRequest&, const Router::Params&) {
    HttpResponse response = json_response(200, service_.metrics_text());
    response.content_type = "text/plain; version=0.0.4";
    return response;
  });
  router_.add("GET", "/openapi.json", [](const HttpRequest&, const Router::Params&) {
    return json_response(200, openapi_document());
  });
}

std::string caller_of(const HttpRequest& request, const Config& config) {
  const TokenConfig* token = matching_token(request, config);
  if (!token) return "anonymous";
  return token->name.empty() ? "token-" + token->sha256.substr(0, 12) : token->name;
}

bool HttpApi::authorized(const HttpRequest& request) const {
  const Config& config = service_.config();
  return config.tokens_disabled || matching_token(request, config) != nullptr;
}

bool HttpApi::authenticates_itself_path(const std::string& path) const {
  for (const auto& prefix : own_auth_prefixes_) {
    if (path.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

HttpResponse HttpApi::dispatch(const HttpRequest& request) {
  std::string path;
  if (!path_of(request.target, path)) {
    return error_response(400, "(uri)", "is not a valid request target");
  }
  if (path != "/health" && !authenticates_itself_path(path) && !authorized(request)) {
    ++service_.metrics().unauthorized;
    return error_response(401, "Authorization", "a valid bearer token is required")
        .set("WWW-Authenticate", "Bearer realm=\"cuttle\"");
  }
  std::string allowed;
  if (auto response = router_.route(request, path, &allowed)) return std::move(*response);
  if (!allowed.empty()) {
    return error_response(405, "(method)", "allowed: " + allowed).set("Allow", allowed);
  }
  return error_response(404, "(path)", "no such resource");
}

// Everything a client can send ends in a JSON 4xx, never a 500.
HttpResponse error_answer(const HttpRequest& request, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const StoreUnavailable& e) {
    // A transient outage, not a fault: clients and load balancers retry after this.
    return error_response(503, "(store)", e.what())
        .set("Retry-After", std::to_string(e.retry_after_seconds()));
  } catch (const RequestError& e) {
    return error_response(e.status(), e.field(), e.reason());
  } catch (const InvalidJobDescription& e) {
    return error_response(400, e.field(), e.reason());
  } catch (const InvalidArgument& e) {
    return error_response(400, "(request)", e.what());
  } catch (const NoSuchJob& e) {
    return error_response(404, "id", e.what());
  } catch (const std::exception& e) {
    log(LogLevel::kError, "rest.http", "request failed",
        {{"method", request.method}, {"uri", request.target}, {"error", e.what()}});
    return error_response(500, "(server)", "internal error; see the service log");
  }
}

HttpResponse HttpApi::handle(const HttpRequest& request) {
  HttpResponse response;
  try {
    response = dispatch(request);
  } catch (const std::exception&) {
    response = error_answer(request, std::current_exception());
  }
  if (response.deferred) {
    account_deferred(request, response);
  } else {
    account(request, response);
  }
  return response;
}

void HttpApi::account_deferred(const HttpRequest& request, HttpResponse& response) {
  response.deferred = [this, &request, work = std::move(response.deferred)](HttpReply reply) {
    auto counted = [this, &request, reply = std::move(reply)](HttpResponse answer) {
      account(request, answer);
      reply(std::move(answer));
    };
    try {
      work(counted);
    } catch (const std::exception&) {
      counted(error_answer(request, std::current_exception()));
    }
  };
}

std::optional<HttpResponse> HttpApi::answer_at_once(const HttpRequest& request) {
  std::string path;
  // A refusal (bad target, no token) is left to handle(): it has its own answers.
  if (!path_of(request.target, path) || !authorized(request)) {
    return std::nullopt;
  }
  std::optional<HttpResponse> response;
  try {
    response = router_.route_quick(request, path);
  } catch (const std::exception&) {
    return std::nullopt;  // handle() answers it, with the error it maps to
  }
  if (response) account(request, *response);
  return response;
}

void HttpApi::account(const HttpRequest& request, const HttpResponse& response) {
  service_.metrics().count_response(response.status);
  if (detail::log_enabled(LogLevel::kDebug)) {
    log(LogLevel::kDebug, "rest.http", "request",
        {{"method", request.method},
         {"uri", request.target},
         {"status", std::to_string(response.status)},
         {"client", request.client}});
  }
}

}  // namespace cuttle::rest
