// The service's HTTP/1.1 server: Boost.Beast on one Asio I/O thread, so an idle or slow
// connection costs a socket and a buffer, never a thread. Requests are read in full
// (header and body under separate timeouts, the body under a size limit) on the I/O
// thread and handed to a pool of worker threads; a streaming response (Server-Sent
// Events) runs on a stream thread of its own. Malformed requests are answered 400, an
// oversized body 413 — also instead of inviting it with 100 Continue — and the connection
// is then closed gracefully so the client reads the answer.
// A request the quick handler can answer from memory is answered on the I/O thread
// instead: no hand-off to a worker and back, which on a busy machine costs two context
// switches per request (most of rest-status's time; docs/performance.md).
// Thread-safety: start() and stop() from one thread; the handler is called concurrently
// from the worker threads, the quick handler from the I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bindings/rest/http_message.h"

namespace cuttle::rest {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (see HttpServer::port)
  bool tls = false;
  std::string certificate;  // PEM chain, with tls
  std::string private_key;  // PEM, with tls
  std::size_t worker_threads = 16;
  std::size_t max_connections = 10000;  // beyond: 503 and close
  std::size_t max_streams = 256;        // concurrent event streams; beyond: 503
  std::uint64_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 * 1024;
  // Idle keep-alive and reading a request's header / its body / writing a response.
  std::chrono::milliseconds header_timeout{15'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// REQUIRES: never blocks. Answers a request at once, or nullopt: the handler answers it.
using HttpQuickHandler = std::function<std::optional<HttpResponse>(const HttpRequest&)>;
// Told the status of every answer the server gives by itself (malformed, too large).
using HttpRefusalObserver = std::function<void(int status)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler, HttpRefusalObserver refused = {},
             HttpQuickHandler quick = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the threads; throws InvalidArgument when the address cannot be
  // bound or the TLS files cannot be loaded.
  void start();
  // Stops accepting, closes every connection, waits for running handlers and streams.
  void stop();
  std::uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cuttle::rest
