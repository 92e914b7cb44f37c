#include "bindings/rest/http_api.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/URI.h>

#include <istream>
#include <sstream>

#include "bindings/rest/mac_auth.h"
#include "bindings/rest/status_document.h"
#include "bindings/rest/store_errors.h"
#include "cuttle/error.h"
#include "cuttle/job_state.h"
#include "cuttle/properties.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

struct Query {
  std::multimap<std::string, std::string> values;
  std::string get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? std::string() : it->second;
  }
};

// One request's handling. Everything a client can send ends in a JSON 4xx, never a 500.
class ApiHandler : public Poco::Net::HTTPRequestHandler {
 public:
  ApiHandler(JobService& service, bool tls) : service_(service), tls_(tls) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    int status = 500;
    try {
      status = route(request, response);
    } catch (const StoreUnavailable& e) {
      // A transient outage, not a fault: clients and load balancers retry after this.
      if (!response.sent()) response.set("Retry-After", std::to_string(e.retry_after_seconds()));
      status = send_error(response, 503, "(store)", e.what());
    } catch (const RequestError& e) {
      status = send_error(response, e.status(), e.field(), e.reason());
    } catch (const InvalidJobDescription& e) {
      status = send_error(response, 400, e.field(), e.reason());
    } catch (const InvalidArgument& e) {
      status = send_error(response, 400, "(request)", e.what());
    } catch (const NoSuchJob& e) {
      status = send_error(response, 404, "id", e.what());
    } catch (const Poco::Net::NetException&) {
      status = 499;  // the client went away mid-response
    } catch (const std::exception& e) {
      log(LogLevel::kError, "rest.http", "request failed",
          {{"method", request.getMethod()}, {"uri", request.getURI()}, {"error", e.what()}});
      status = send_error(response, 500, "(server)", "internal error; see the service log");
    }
    service_.metrics().count_response(status);
    if (detail::log_enabled(LogLevel::kDebug)) {
      log(LogLevel::kDebug, "rest.http", "request",
          {{"method", request.getMethod()},
           {"uri", request.getURI()},
           {"status", std::to_string(status)},
           {"client", request.clientAddress().toString()}});
    }
  }

 private:
  int route(HTTPServerRequest& request, HTTPServerResponse& response) {
    std::string path;
    Query query;
    if (!split_uri(request.getURI(), path, query)) {
      return send_error(response, 400, "(uri)", "is not a valid request target");
    }
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const std::string& method = request.getMethod();

    if (path == "/health") {
      if (method != "GET" && method != "HEAD") return not_allowed(response, "GET");
      const json health = service_.health();
      if (health["status"] != "ok") response.set("Retry-After", "1");
      return send_json(response, health["status"] == "ok" ? 200 : 503, dump(health));
    }
    if (!authorized(request)) {
      ++service_.metrics().unauthorized;
      response.set("WWW-Authenticate", "Bearer realm=\"cuttle\"");
      return send_error(response, 401, "Authorization", "a valid bearer token is required");
    }
    if (path == "/metrics") {
      if (method != "GET") return not_allowed(response, "GET");
      return send_text(response, 200, "text/plain; version=0.0.4", service_.metrics_text());
    }
    if (path == "/openapi.json") {
      if (method != "GET") return not_allowed(response, "GET");
      return send_json(response, 200, openapi_document());
    }
    if (path == "/job") {
      if (method == "POST") return submit(request, response);
      if (method == "GET") return list(request, response, query);
      return not_allowed(response, "GET, POST");
    }
    if (path.rfind("/job/", 0) != 0) return send_error(response, 404, "(path)", "no such resource");
    std::string rest = path.substr(5);
    std::string action;
    if (auto slash = rest.find('/'); slash != std::string::npos) {
      action = rest.substr(slash + 1);
      rest.resize(slash);
    }
    const std::string& id = rest;
    if (!valid_id(id)) return send_error(response, 404, "id", "no such job");
    if (action.empty()) {
      if (method == "GET" || method == "HEAD") {
        auto doc = service_.document(id);
        if (!doc) return send_error(response, 404, "id", "no such job");
        return send_json(response, 200, *doc);
      }
      if (method == "DELETE") {
        drain(request);
        if (!service_.cancel(id, true)) return send_error(response, 404, "id", "no such job");
        response.setStatusAndReason(HTTPResponse::HTTP_NO_CONTENT);
        response.setContentLength(0);
        response.send();
        return 204;
      }
      return not_allowed(response, "GET, DELETE");
    }
    if (action == "cancel") {
      if (method != "PUT" && method != "POST") return not_allowed(response, "PUT");
      drain(request);
      auto doc = service_.cancel(id, false);
      if (!doc) return send_error(response, 404, "id", "no such job");
      return send_json(response, 200, *doc);
    }
    if (action == "extend") {
      if (method != "POST") return not_allowed(response, "POST");
      return extend(request, response, id);
    }
    if (action == "events") {
      if (method != "GET") return not_allowed(response, "GET");
      return events(request, response, query, id);
    }
    return send_error(response, 404, "(path)", "no such resource");
  }

  int submit(HTTPServerRequest& request, HTTPServerResponse& response) {
    JobRequest job;
    try {
      job = parse_job_request(read_body(request), service_.config());
    } catch (const RequestError&) {
      ++service_.metrics().jobs_rejected;
      throw;
    }
    const std::string id = service_.submit(job);
    response.setStatusAndReason(HTTPResponse::HTTP_CREATED);
    response.set("Location", base_url(request) + "/job/" + id);
    response.setContentType("application/json");
    response.setContentLength(0);
    response.send();
    return 201;
  }

  int list(HTTPServerRequest& request, HTTPServerResponse& response, const Query& query) {
    std::vector<std::string> states;
    for (auto [it, end] = query.values.equal_range("state"); it != end; ++it) {
      std::stringstream words(it->second);
      std::string word;
      while (std::getline(words, word, ',')) {
        if (!word.empty()) states.push_back(word);
      }
    }
    std::size_t limit = 0;
    if (const std::string text = query.get("limit"); !text.empty()) {
      if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
        throw RequestError(400, "limit", "must be a positive integer");
      }
      limit = std::stoul(text);
      if (limit == 0) throw RequestError(400, "limit", "must be a positive integer");
    }
    const auto page = service_.list(states, limit, query.get("page_token"));
    json urls = json::array();
    const std::string base = base_url(request);
    for (const auto& id : page.ids) urls.push_back(base + "/job/" + id);
    if (!page.next_token.empty()) {
      response.set("X-Next-Page-Token", page.next_token);
      response.set("Link", "<" + base + "/job?limit=" + std::to_string(limit) +
                               "&page_token=" + page.next_token + ">; rel=\"next\"");
    }
    return send_json(response, 200, dump(urls));
  }

  int extend(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& id) {
    const std::string body = read_body(request);
    if (!json_depth_within(body, 8)) throw RequestError(400, "(body)", "nests too deeply");
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw RequestError(400, "(body)", "must be a JSON object");
    std::int64_t seconds = 0;
    if (j.contains("seconds") && j["seconds"].is_number_integer()) {
      seconds = j["seconds"].get<std::int64_t>();
    } else if (j.contains("by") && j["by"].is_string()) {
      try {
        seconds = std::chrono::duration_cast<std::chrono::seconds>(
                      parse_duration(j["by"].get<std::string>()))
                      .count();
      } catch (const Error& e) {
        throw RequestError(400, "by", e.what());
      }
    } else {
      throw RequestError(400, "seconds",
                         "give \"seconds\" (integer) or \"by\" (a duration such as \"30m\")");
    }
    if (seconds <= 0 || seconds > 366LL * 24 * 3600) {
      throw RequestError(400, "seconds", "must be between 1 second and 366 days");
    }
    auto doc = service_.extend(id, std::chrono::seconds(seconds));
    if (!doc) return send_error(response, 404, "id", "no such job");
    return send_json(response, 200, *doc);
  }

  static json event_json(const EventRow& e) {
    json status = json::parse(e.status, nullptr, false);
    json out = {{"seq", e.seq}, {"time", format_time(from_millis(e.time_ms))}};
    out["state"] = status.is_object() && status.contains("state") ? status["state"] : json(nullptr);
    out["cuttle_state"] = e.state;
    out["status"] = status;
    return out;
  }

  int events(HTTPServerRequest& request, HTTPServerResponse& response, const Query& query,
             const std::string& id) {
    const bool follow = request.get("Accept", "").find("text/event-stream") != std::string::npos ||
                        query.get("follow") == "true";
    auto history = service_.events(id, 0);
    if (!history) return send_error(response, 404, "id", "no such job");
    if (!follow) {
      json list = json::array();
      for (const auto& e : *history) list.push_back(event_json(e));
      return send_json(response, 200, dump(json{{"events", list}}));
    }
    response.setStatusAndReason(HTTPResponse::HTTP_OK);
    response.setContentType("text/event-stream");
    response.set("Cache-Control", "no-cache");
    response.setChunkedTransferEncoding(true);
    response.setKeepAlive(false);
    std::ostream& out = response.send();
    std::int64_t last = 0;
    auto emit = [&](const std::vector<EventRow>& rows) {
      for (const auto& e : rows) {
        out << "id: " << e.seq << "\nevent: state\ndata: " << dump(event_json(e)) << "\n\n";
        last = e.seq;
      }
      out.flush();
    };
    emit(*history);
    while (!service_.stopping() && !service_.is_final(id) && out.good()) {
      service_.wait_for_change(std::chrono::seconds(15));
      auto more = service_.events(id, last);
      if (!more) break;
      if (more->empty()) {
        out << ": keep-alive\n\n";
        out.flush();
      }
      emit(*more);
    }
    if (out.good() && !service_.stopping()) emit(*service_.events(id, last));
    return 200;
  }

  // ---- plumbing ----

  static bool split_uri(const std::string& uri, std::string& path, Query& query) {
    if (uri.empty() || uri.front() != '/') return false;
    const auto q = uri.find('?');
    try {
      Poco::URI::decode(uri.substr(0, q), path);
      if (q != std::string::npos) {
        std::stringstream pairs(uri.substr(q + 1));
        std::string pair;
        while (std::getline(pairs, pair, '&')) {
          const auto eq = pair.find('=');
          std::string key;
          std::string value;
          Poco::URI::decode(pair.substr(0, eq), key, true);
          if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), value, true);
          query.values.emplace(key, value);
        }
      }
    } catch (const Poco::Exception&) {
      return false;
    }
    return path.find('\0') == std::string::npos;
  }

  static bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    }
    return true;
  }

  bool authorized(const HTTPServerRequest& request) const {
    const Config& config = service_.config();
    if (config.tokens_disabled) return true;
    const std::string header = request.get("Authorization", "");
    if (header.size() < 8 || header.compare(0, 7, "Bearer ") != 0) return false;
    const std::string digest = sha256_hex(header.substr(7));
    bool ok = false;
    for (const auto& token : config.tokens) ok |= constant_time_equal(digest, token.sha256);
    return ok;
  }

  std::string read_body(HTTPServerRequest& request) const {
    const std::uint64_t limit = service_.config().limits.max_body_bytes;
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      throw RequestError(413, "(body)",
                         "is larger than the limit of " + std::to_string(limit) + " bytes");
    }
    std::string body;
    std::istream& in = request.stream();
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      body.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (body.size() > limit) {
        throw RequestError(413, "(body)",
                           "is larger than the limit of " + std::to_string(limit) + " bytes");
      }
    }
    return body;
  }

  void drain(HTTPServerRequest& request) const {
    try {
      read_body(request);
    } catch (const RequestError&) {
      // A body on DELETE or cancel is ignored; an oversized one only costs the connection.
    }
  }

  std::string base_url(const HTTPServerRequest& request) const {
    const Config& config = service_.config();
    if (!config.public_url.empty()) return config.public_url;
    const std::string scheme = tls_ ? "https://" : "http://";
    const std::string host = request.get("Host", "");
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

  static int send_text(HTTPServerResponse& response, int status, const std::string& type,
                       const std::string& body) {
    response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
    response.setContentType(type);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.sendBuffer(body.data(), body.size());
    return status;
  }

  static int send_json(HTTPServerResponse& response, int status, const std::string& body) {
    return send_text(response, status, "application/json", body);
  }

  static int send_error(HTTPServerResponse& response, int status, const std::string& field,
                        const std::string& reason) {
    if (response.sent()) return status;
    const json body = {
        {"error", HTTPResponse::getReasonForStatus(static_cast<HTTPResponse::HTTPStatus>(status))},
        {"field", field},
        {"reason", reason}};
    if (status == 413) response.setKeepAlive(false);
    return send_json(response, status, dump(body));
  }

  static int not_allowed(HTTPServerResponse& response, const std::string& allowed) {
    response.set("Allow", allowed);
    return send_error(response, 405, "(method)", "allowed: " + allowed);
  }

  JobService& service_;
  bool tls_;
};

}  // namespace

ApiHandlerFactory::ApiHandlerFactory(JobService& service, bool tls)
    : service_(service), tls_(tls) {}

Poco::Net::HTTPRequestHandler* ApiHandlerFactory::createRequestHandler(const HTTPServerRequest&) {
  return new ApiHandler(service_, tls_);
}

}  // namespace cuttle::rest
