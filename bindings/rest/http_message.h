// What the HTTP layer hands a REST contract and gets back: a request read in full, and a
// response — a body, or an event stream the handler writes. Contracts (joblauncher, and
// later others) see only these types and Router, never the server library underneath.
// Thread-safety: plain values. An EventSink is used by the one thread running the stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cuttle::rest {

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // origin-form, as sent: path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string client;  // "address:port" of the peer
  bool tls = false;

  // The first header named `name` (case-insensitive), else `fallback`.
  std::string header(std::string_view name, const std::string& fallback = {}) const;
};

// Where a streaming response writes. write() sends one chunk and returns once it is on
// the wire; false when the client has gone or the write timed out (stop streaming then).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual bool write(const std::string& data) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after this response
  // When set, the head goes out with chunked encoding and this runs on a stream thread
  // of the server, writing through the sink; the connection closes when it returns.
  std::function<void(EventSink&)> stream;
  // When set, the answer comes later: the server calls this on its worker with a reply
  // that the work calls once, from any thread, with the real response (this one's other
  // fields are ignored); meanwhile the worker is free. The request stays valid until then.
  std::function<void(std::function<void(HttpResponse)>)> deferred;

  HttpResponse& set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// What deferred work answers through (see HttpResponse::deferred).
using HttpReply = std::function<void(HttpResponse)>;

// "Not Found" for 404, ...; "Unknown" for a code HTTP does not define.
std::string reason_phrase(int status);

}  // namespace cuttle::rest
