// An HTTP/1.1 + TLS client of one Kubernetes API server (Poco NetSSL): verifies the server
// against the kubeconfig's CA (and its name), authenticates with a bearer token, a token
// file (re-read on a 401), an exec credential plugin (re-run on a 401) or a client
// certificate, and is a good citizen: every request passes the server's one QPS/burst
// limiter (shared by all clients of that server in this process) and a 429 is waited out
// for its Retry-After inside it.
// Thread-safety: every method may be called concurrently; sessions are pooled.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "adaptors/kubernetes/kubeconfig.h"

namespace Poco::Net {
class HTTPSClientSession;
class WebSocket;
}  // namespace Poco::Net

namespace cuttle::detail {

struct ApiResponse {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header of a 429
  // The Status object's reason ("AlreadyExists", "NotFound", "Expired", ...) or "".
  std::string reason() const;
  // "403 Forbidden: exceeded quota ...": for messages.
  std::string describe() const;
};

struct ApiLimits {
  double qps = 20;
  int burst = 40;
  std::chrono::milliseconds timeout{30000};
  std::chrono::seconds max_retry_after{60};
  bool insecure = false;  // the property tls.insecure: skip verification even without kubeconfig
};

class RateLimiter;

class ApiClient {
 public:
  ApiClient(ClusterAccess access, ApiLimits limits);
  ~ApiClient();

  const ClusterAccess& access() const { return access_; }

  // One request. Waits for the limiter, retries a 429 after Retry-After, retries once
  // after refreshing the credentials on a 401. Returns every other answer as it is.
  // Throws ConnectionFailed when the server cannot be reached, AuthenticationFailed
  // (naming server, user entry and why) when TLS or the credentials are refused.
  ApiResponse request(const std::string& method, const std::string& path,
                      const std::string& body = {},
                      const std::string& content_type = "application/json");

  // A streaming GET (watch): calls `line` for each line of the body until the stream ends,
  // `line` returns false, or cancel_streams() is called. Returns the HTTP status; a
  // non-200 answer's body is passed to `line` whole.
  int stream_lines(const std::string& path, const std::function<bool(std::string_view)>& line);
  // Ends every stream_lines() now (shutdown).
  void cancel_streams();

  // Upgrades a GET of `path` to a WebSocket offering `protocols` (comma-separated);
  // `chosen` receives the server's choice. Throws like request(); a refusal that is not an
  // upgrade throws ConnectionFailed with the server's answer.
  std::unique_ptr<Poco::Net::WebSocket> open_websocket(const std::string& path,
                                                       const std::string& protocols,
                                                       std::string& chosen);

  // Requests sent to the server so far (each retry and each watch connection counts).
  std::uint64_t requests() const { return requests_; }

  // A GET whose body is cut at `limit` bytes (pods/log). Sets `truncated`.
  ApiResponse get_bounded(const std::string& path, std::size_t limit, bool& truncated);

 private:
  std::unique_ptr<Poco::Net::HTTPSClientSession> take_session();
  void give_back(std::unique_ptr<Poco::Net::HTTPSClientSession> session);
  ApiResponse once(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& content_type, std::size_t limit, bool* truncated);
  std::string bearer();
  void refresh_credentials();
  [[noreturn]] void fail(const std::string& what, const std::exception& cause);

  const ClusterAccess access_;
  const ApiLimits limits_;
  std::string host_;
  unsigned short port_ = 443;
  struct Tls;
  std::unique_ptr<Tls> tls_;
  std::shared_ptr<RateLimiter> limiter_;

  std::mutex mutex_;  // guards pool_, token_, streams_
  std::vector<std::unique_ptr<Poco::Net::HTTPSClientSession>> pool_;
  std::string token_;
  std::vector<Poco::Net::HTTPSClientSession*> streams_;
  std::atomic<bool> cancelled_{false};
  std::atomic<std::uint64_t> requests_{0};
};

}  // namespace cuttle::detail
