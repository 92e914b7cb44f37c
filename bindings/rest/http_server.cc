#include "bindings/rest/http_server.h"

#include <nlohmann/json.hpp>

#include "bindings/rest/http_connection.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::rest {

using http_detail::ServerCore;
using http_detail::Session;
namespace asio = http_detail::asio;
namespace beast = http_detail::beast;
namespace http = http_detail::http;
using http_detail::tcp;

std::string reason_phrase(int status) {
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return reason.empty() ? "Unknown" : std::string(reason);
}

std::string http_detail::error_body(int status, const std::string& field,
                                    const std::string& reason) {
  return nlohmann::json{{"error", reason_phrase(status)}, {"field", field}, {"reason", reason}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string HttpRequest::header(std::string_view name, const std::string& fallback) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, beast::string_view(name.data(), name.size()))) return value;
  }
  return fallback;
}

struct HttpServer::Impl {
  std::shared_ptr<ServerCore> core = std::make_shared<ServerCore>();
  std::optional<asio::ssl::context> tls;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread io_thread;
  bool started = false;

  void accept() {
    acceptor->async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || core->stopping) return;
      if (!ec) admit(std::move(socket));
      accept();
    });
  }

  void admit(tcp::socket socket) {
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return;
    if (core->connections.load() >= core->options.max_connections) {
      // Over the bound: a short refusal on the fresh socket (its send buffer is empty).
      static const std::string kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      asio::write(socket, asio::buffer(kBusy), ec);
      if (core->refused) core->refused(503);
      return;
    }
    ++core->connections;
    socket.set_option(tcp::no_delay(true), ec);
    const std::string client = peer.address().to_string() + ":" + std::to_string(peer.port());
    std::shared_ptr<http_detail::Connection> connection;
    if (tls) {
      auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          core, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls),
          client);
      connection = s;
      s->start();
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(
          core, beast::tcp_stream(std::move(socket)), client);
      connection = s;
      s->start();
    }
    std::lock_guard lock(core->mutex);
    core->open.remove_if([](const auto& weak) { return weak.expired(); });
    core->open.push_back(connection);
  }
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, HttpRefusalObserver refused,
                       HttpQuickHandler quick)
    : impl_(std::make_shared<Impl>()) {
  impl_->core->options = std::move(options);
  impl_->core->handler = std::move(handler);
  impl_->core->refused = std::move(refused);
  impl_->core->quick = std::move(quick);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  auto& core = *impl_->core;
  const auto& o = core.options;
  try {
    if (o.tls) {
      impl_->tls.emplace(asio::ssl::context::tls_server);
      impl_->tls->set_options(asio::ssl::context::default_workarounds |
                              asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      impl_->tls->use_certificate_chain_file(o.certificate);
      impl_->tls->use_private_key_file(o.private_key, asio::ssl::context::pem);
    }
    tcp::resolver resolver(core.io);
    const tcp::endpoint endpoint =
        resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive)->endpoint();
    impl_->acceptor.emplace(core.io);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw InvalidArgument("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                          e.what());
  }
  core.workers = std::make_unique<asio::thread_pool>(o.worker_threads);
  impl_->work.emplace(core.io.get_executor());
  impl_->accept();
  impl_->io_thread = std::thread([core = impl_->core] { core->io.run(); });
  impl_->started = true;
}

std::uint16_t HttpServer::port() const {
  return impl_->acceptor ? impl_->acceptor->local_endpoint().port() : 0;
}

void HttpServer::stop() {
  if (!impl_->started) return;
  impl_->started = false;
  auto core = impl_->core;
  core->stopping = true;
  asio::post(core->io, [impl = impl_] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
    std::lock_guard lock(impl->core->mutex);
    for (auto& weak : impl->core->open) {
      if (auto connection = weak.lock()) connection->close();
    }
  });
  {
    // Handlers and streams finish (the service has stopped, so streams end soon).
    std::unique_lock lock(core->mutex);
    core->idle.wait_for(lock, std::chrono::seconds(10),
                        [&] { return core->busy == 0 && core->streams == 0; });
  }
  core->workers->join();
  // With every socket closed the loop runs out of work and returns by itself.
  impl_->work.reset();
  asio::post(core->io, [impl = impl_] {
    std::lock_guard lock(impl->core->mutex);
    for (auto& weak : impl->core->open) {
      if (auto connection = weak.lock()) connection->close();
    }
  });
  auto finished = std::async(std::launch::async, [&] { impl_->io_thread.join(); });
  if (finished.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    cuttle::detail::log(cuttle::detail::LogLevel::kWarn, "rest.http",
                        "connections did not close; stopping", {});
    core->io.stop();
  }
  finished.wait();
  // Handlers still queued hold the server and its sessions (a close posted after the loop
  // ran out of work holds Impl, a closed connection's aborted operation its Session, and
  // both hold the io_context that queues them): LeakSanitizer found that cycle at every
  // exit of `cuttle serve`. Run them, so every reference is dropped.
  core->io.restart();
  core->io.poll();
}

}  // namespace cuttle::rest
