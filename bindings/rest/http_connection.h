// One HTTP connection of HttpServer (plain TCP or TLS): reads requests with Beast under
// the server's timeouts and limits, answers it from the quick handler or hands it to the
// worker pool, writes the answer, and closes gracefully after a refusal. Internal to
// http_server.cc.
// Thread-safety: every socket operation runs on the server's single I/O thread; a worker
// or a stream thread only posts work to it.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <future>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include "bindings/rest/http_server.h"

namespace cuttle::rest::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Connection {
 public:
  virtual ~Connection() = default;
  virtual void close() = 0;  // on the I/O thread
};

// What every connection shares with its server (each holds it, so it outlives them).
struct ServerCore {
  HttpServerOptions options;
  HttpHandler handler;
  HttpRefusalObserver refused;
  HttpQuickHandler quick;
  asio::io_context io{1};
  std::unique_ptr<asio::thread_pool> workers;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};
  std::mutex mutex;  // guards the members below
  std::condition_variable idle;
  std::size_t streams = 0;
  std::size_t busy = 0;  // requests handed to a worker and not yet answered
  std::list<std::weak_ptr<Connection>> open;
};

// Builds the JSON error body every refusal carries, like the API's own errors.
std::string error_body(int status, const std::string& field, const std::string& reason);

template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(std::shared_ptr<ServerCore> core, Stream stream, std::string client)
      : core_(std::move(core)), stream_(std::move(stream)), client_(std::move(client)) {}
  ~Session() override { --core_->connections; }

  void start() {
    if constexpr (kTls) {
      lowest().expires_after(core_->options.header_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->drop();
                                self->read();
                              });
    } else {
      read();
    }
  }

  void close() override { drop(); }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void drop() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }

  void read() {
    if (core_->stopping) return drop();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_->options.max_header_bytes));
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    lowest().expires_after(core_->options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec)
      return ec == http::error::header_limit ? refuse(431, "(header)", "is too large")
             : quiet(ec)                     ? drop()
                                             : refuse_malformed(ec);
    auto& request = parser_->get();
    if (request.version() != 10 && request.version() != 11) {
      return refuse(505, "(request line)", "only HTTP/1.0 and HTTP/1.1 are served");
    }
    const std::uint64_t limit = core_->options.max_body_bytes;
    if (parser_->content_length() && *parser_->content_length() > limit) {
      return refuse(413, "(body)",
                    "is larger than the limit of " + std::to_string(limit) + " bytes");
    }
    parser_->body_limit(limit);
    if (beast::iequals(request[http::field::expect], "100-continue")) {
      auto interim = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      lowest().expires_after(core_->options.write_timeout);
      return asio::async_write(
          stream_, asio::buffer(*interim),
          [self = this->shared_from_this(), interim](beast::error_code e, std::size_t) {
            if (e) return self->drop();
            self->read_body();
          });
    }
    // No body to come (a GET, a POST with Content-Length: 0): handle it now rather than
    // through another read operation and timer.
    if (parser_->is_done()) return on_body({});
    read_body();
  }

  void read_body() {
    lowest().expires_after(core_->options.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_body(ec);
                     });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return refuse(413, "(body)",
                    "is larger than the limit of " + std::to_string(core_->options.max_body_bytes) +
                        " bytes");
    }
    if (ec == beast::error::timeout) return refuse(408, "(body)", "did not arrive in time");
    if (ec) return quiet(ec) ? drop() : refuse_malformed(ec);
    lowest().expires_never();
    auto message = parser_->release();
    auto request = std::make_shared<HttpRequest>();
    request->method = std::string(message.method_string());
    request->target = std::string(message.target());
    for (const auto& field : message) {
      request->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request->body = std::move(message.body());
    request->client = client_;
    request->tls = kTls;
    const bool keep = message.keep_alive();
    if (auto answer = quick_answer(*request)) {
      return respond(*request, std::make_shared<HttpResponse>(std::move(*answer)), keep);
    }
    {
      std::lock_guard lock(core_->mutex);
      ++core_->busy;
    }
    asio::post(*core_->workers, [self = this->shared_from_this(), request, keep] {
      HttpResponse response;
      try {
        response = self->core_->handler(*request);
      } catch (const std::exception&) {
        response = internal_error();
      }
      if (!response.deferred) return self->answer(request, std::move(response), keep);
      // The first answer counts: work that throws after it replied cannot answer twice.
      auto answered = std::make_shared<std::atomic<bool>>(false);
      auto reply = [self, request, keep, answered](HttpResponse r) {
        if (!answered->exchange(true)) self->answer(request, std::move(r), keep);
      };
      try {
        response.deferred(reply);
      } catch (const std::exception&) {
        reply(internal_error());
      }
    });
  }

  static HttpResponse internal_error() {
    HttpResponse response;
    response.status = 500;
    response.body = error_body(500, "(server)", "internal error; see the service log");
    return response;
  }

  // From any thread: writes `response` on the I/O thread; the request is answered.
  void answer(const std::shared_ptr<HttpRequest>& request, HttpResponse response, bool keep) {
    auto shared = std::make_shared<HttpResponse>(std::move(response));
    asio::post(core_->io, [self = this->shared_from_this(), request, shared, keep] {
      self->respond(*request, shared, keep);
      std::lock_guard lock(self->core_->mutex);
      if (--self->core_->busy == 0) self->core_->idle.notify_all();
    });
  }

  std::optional<HttpResponse> quick_answer(const HttpRequest& request) const {
    if (!core_->quick || core_->stopping) return std::nullopt;
    try {
      return core_->quick(request);
    } catch (const std::exception&) {
      return std::nullopt;  // the handler, on a worker, answers with what it maps it to
    }
  }

  void respond(const HttpRequest& request, std::shared_ptr<HttpResponse> response, bool keep) {
    if (response->stream) return begin_stream(std::move(response));
    keep = keep && !response->close && !core_->stopping;
    // Head and body in one buffer: one allocation and one write, where a Beast message
    // costs a node per field and a serializer walking them (the hot path of every poll).
    auto wire = std::make_shared<std::string>();
    wire->reserve(192 + response->body.size());
    const auto reason = http::obsolete_reason(static_cast<http::status>(response->status));
    wire->append("HTTP/1.1 ")
        .append(std::to_string(response->status))
        .append(" ")
        .append(reason.empty() ? std::string_view("Unknown")
                               : std::string_view(reason.data(), reason.size()))
        .append("\r\nServer: cuttle\r\n");
    if (!response->content_type.empty())
      append_field(*wire, "Content-Type", response->content_type);
    for (const auto& [name, value] : response->headers) append_field(*wire, name, value);
    if (!keep) wire->append("Connection: close\r\n");
    wire->append("Content-Length: ")
        .append(std::to_string(response->body.size()))
        .append("\r\n\r\n");
    if (request.method != "HEAD") wire->append(response->body);
    lowest().expires_after(core_->options.write_timeout);
    asio::async_write(stream_, asio::buffer(*wire),
                      [self = this->shared_from_this(), wire, keep](
                          beast::error_code ec, std::size_t) { self->written(ec, keep); });
  }

  // "Name: value\r\n"; a CR or LF in either (a handler echoing client input) becomes a
  // space, so no field can end the head early or add one of its own.
  static void append_field(std::string& wire, std::string_view name, std::string_view value) {
    const auto safe = [&wire](std::string_view text) {
      for (char c : text) wire.push_back(c == '\r' || c == '\n' ? ' ' : c);
    };
    safe(name);
    wire.append(": ");
    safe(value);
    wire.append("\r\n");
  }

  template <class Message>
  void write(std::shared_ptr<Message> message, bool keep) {
    lowest().expires_after(core_->options.write_timeout);
    http::async_write(stream_, *message,
                      [self = this->shared_from_this(), message, keep](
                          beast::error_code ec, std::size_t) { self->written(ec, keep); });
  }

  // After an answer went out: the next request, or the graceful close.
  void written(beast::error_code ec, bool keep) {
    if (ec) return drop();
    if (keep) return read();
    linger();
  }

  // A refusal the server gives by itself: JSON error, Connection: close, then linger so
  // the client, which may still be sending, reads the answer instead of a reset.
  void refuse(int status, const std::string& field, const std::string& reason) {
    if (core_->refused) core_->refused(status);
    auto message =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    message->set(http::field::server, "cuttle");
    message->set(http::field::content_type, "application/json");
    message->keep_alive(false);
    message->body() = error_body(status, field, reason);
    message->prepare_payload();
    write(message, false);
  }

  void refuse_malformed(beast::error_code ec) {
    const bool line = ec == http::error::bad_method || ec == http::error::bad_target ||
                      ec == http::error::bad_version;
    const bool length = ec == http::error::bad_content_length;
    refuse(400,
           line     ? "(request line)"
           : length ? "Content-Length"
                    : "(header)",
           line ? "is not 'METHOD target HTTP/1.x' with a target free of spaces"
                : "is malformed: " + ec.message());
  }

  static bool quiet(beast::error_code ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == beast::error::timeout || ec == asio::error::operation_aborted ||
           ec == asio::error::connection_reset || ec == http::error::partial_message;
  }

  // Half-closes, then reads and discards (bounded in bytes and time) until the client
  // closes too: closing with unread data would make the kernel send a reset.
  void linger() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(std::chrono::seconds(5));
    discard();
  }

  void discard() {
    lowest().async_read_some(asio::buffer(drain_), [self = this->shared_from_this()](
                                                       beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > (64ULL << 20)) return self->lowest().close();
      self->discard();
    });
  }

  class Sink : public EventSink {
   public:
    explicit Sink(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    bool write(const std::string& data) override {
      auto done = std::make_shared<std::promise<bool>>();
      auto result = done->get_future();
      auto chunk = std::make_shared<std::string>(data);
      asio::post(session_->core_->io, [s = session_, done, chunk] {
        s->lowest().expires_after(s->core_->options.write_timeout);
        asio::async_write(
            s->stream_, http::make_chunk(asio::buffer(*chunk)),
            [done, chunk](beast::error_code ec, std::size_t) { done->set_value(!ec); });
      });
      const auto limit = session_->core_->options.write_timeout + std::chrono::seconds(1);
      return result.wait_for(limit) == std::future_status::ready && result.get();
    }

   private:
    std::shared_ptr<Session> session_;
  };

  void begin_stream(std::shared_ptr<HttpResponse> response) {
    {
      std::lock_guard lock(core_->mutex);
      if (core_->streams >= core_->options.max_streams || core_->stopping) {
        return refuse(503, "(server)", "too many event streams; retry later");
      }
      ++core_->streams;
    }
    auto head = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(response->status), 11);
    head->set(http::field::server, "cuttle");
    head->set(http::field::content_type, response->content_type);
    for (const auto& [name, value] : response->headers) head->insert(name, value);
    head->keep_alive(false);
    head->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    lowest().expires_after(core_->options.write_timeout);
    http::async_write_header(stream_, *serializer,
                             [self = this->shared_from_this(), head, serializer, response](
                                 beast::error_code ec, std::size_t) {
                               std::thread([self, ok = !ec, response] {
                                 if (ok) {
                                   Sink sink(self);
                                   try {
                                     response->stream(sink);
                                   } catch (const std::exception&) {
                                     // The stream ends here; the client sees the chunked body end.
                                   }
                                 }
                                 asio::post(self->core_->io, [self] { self->end_stream(); });
                                 std::lock_guard lock(self->core_->mutex);
                                 --self->core_->streams;
                                 self->core_->idle.notify_all();
                               }).detach();
                             });
  }

  void end_stream() {
    auto last = std::make_shared<decltype(http::make_chunk_last())>(http::make_chunk_last());
    lowest().expires_after(core_->options.write_timeout);
    asio::async_write(stream_, *last,
                      [self = this->shared_from_this(), last](beast::error_code, std::size_t) {
                        self->linger();
                      });
  }

  std::shared_ptr<ServerCore> core_;  // shared: a detached stream thread may outlive stop()
  Stream stream_;
  std::string client_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 16384> drain_{};
  std::uint64_t drained_ = 0;
};

}  // namespace cuttle::rest::http_detail
