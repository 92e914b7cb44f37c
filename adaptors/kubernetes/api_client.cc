// The API server client: TLS context from the kubeconfig, pooled keep-alive sessions,
// credentials with refresh on 401, the per-server limiter and 429 handling.
// (~400 lines: the four ways to talk to the server — request, stream, WebSocket, bounded
// GET — share its TLS context, credentials and limiter, which is why they stay together.)
#include "adaptors/kubernetes/api_client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/URI.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cuttle/command_runner.h"
#include "cuttle/error.h"
#include "internal/log.h"
#include "internal/rate_limiter.h"

namespace cuttle::detail {

struct ApiClient::Tls {
  Poco::Net::Context::Ptr context;
};

namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

BioPtr memory_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
}

void add_ca(SSL_CTX* ctx, const std::string& pem, const std::string& where) {
  BioPtr bio = memory_bio(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++added;
  }
  ERR_clear_error();
  if (added == 0)
    throw InvalidArgument(where + ": the certificate authority holds no PEM certificate");
}

void use_client_certificate(SSL_CTX* ctx, const ClusterAccess& access) {
  BioPtr cert_bio = memory_bio(access.client_cert_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  if (!cert || SSL_CTX_use_certificate(ctx, cert) != 1) {
    if (cert) X509_free(cert);
    ERR_clear_error();
    throw InvalidArgument(access.describe() + ": the client certificate is not a PEM certificate");
  }
  X509_free(cert);
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    SSL_CTX_add_extra_chain_cert(ctx, extra);  // takes ownership
  }
  ERR_clear_error();
  BioPtr key_bio = memory_bio(access.client_key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  bool ok = key && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  if (key) EVP_PKEY_free(key);
  ERR_clear_error();
  if (!ok) {
    throw InvalidArgument(access.describe() +
                          ": the client key is not a PEM key matching the certificate");
  }
}

std::string read_token_file(const ClusterAccess& access) {
  std::ifstream in(access.token_file);
  if (!in) {
    throw AuthenticationFailed(access.describe() + ": cannot read token file " + access.token_file);
  }
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  return token;
}

std::string run_exec_plugin(const ClusterAccess& access) {
  const ExecPlugin& plugin = *access.exec;
  std::vector<std::string> argv = {"env"};
  nlohmann::json info = {{"apiVersion", plugin.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  argv.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  for (const auto& [name, value] : plugin.env) argv.push_back(name + "=" + value);
  argv.push_back(plugin.command);
  argv.insert(argv.end(), plugin.args.begin(), plugin.args.end());
  LocalRunner runner;
  CommandOptions options;
  options.timeout = std::chrono::seconds(60);
  CommandResult result = runner.run(argv, options);
  if (result.exit_code != 0) {
    throw AuthenticationFailed(access.describe() + ": exec plugin " + plugin.command + " exited " +
                               std::to_string(result.exit_code) + ": " +
                               result.stderr_text.substr(0, 512));
  }
  nlohmann::json credential = nlohmann::json::parse(result.stdout_text, nullptr, false);
  if (!credential.is_object() || !credential.contains("status") ||
      !credential["status"].is_object() || !credential["status"].contains("token") ||
      !credential["status"]["token"].is_string()) {
    throw AuthenticationFailed(access.describe() + ": exec plugin " + plugin.command +
                               " printed no ExecCredential with status.token");
  }
  return credential["status"]["token"].get<std::string>();
}

bool is_ip_literal(const std::string& host) {
  return host.find(':') != std::string::npos ||
         host.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

std::string ApiResponse::reason() const {
  nlohmann::json status = nlohmann::json::parse(body, nullptr, false);
  if (status.is_object() && status.contains("reason") && status["reason"].is_string())
    return status["reason"].get<std::string>();
  return {};
}

std::string ApiResponse::describe() const {
  std::string text = std::to_string(status);
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()) {
    text += ": " + parsed["message"].get<std::string>();
  } else if (!body.empty()) {
    text += ": " + body.substr(0, 300);
  }
  return text;
}

ApiClient::ApiClient(ClusterAccess access, ApiLimits limits)
    : access_(std::move(access)), limits_(limits), tls_(std::make_unique<Tls>()) {
  Poco::URI uri;
  try {
    uri = Poco::URI(access_.server);
  } catch (const Poco::Exception& e) {
    throw InvalidArgument(access_.describe() + ": the server is not a URL: " + e.displayText());
  }
  if (uri.getScheme() != "https") {
    throw InvalidArgument(access_.describe() + ": only https:// API servers are supported");
  }
  host_ = uri.getHost();
  port_ = uri.getPort();
  const bool insecure = access_.insecure_skip_tls_verify || limits_.insecure;
  Poco::Net::Context::Params params;
  params.verificationMode =
      insecure ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_RELAXED;
  params.loadDefaultCAs = access_.ca_pem.empty() && !insecure;
  params.cipherList = "HIGH:!aNULL:!MD5";
  tls_->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  // The name check is OpenSSL's own (IP addresses in subjectAltName included), done in
  // the handshake; Poco's later check is switched off so it cannot disagree.
  tls_->context->enableExtendedCertificateVerification(false);
  SSL_CTX* ctx = tls_->context->sslContext();
  if (!insecure) {
    if (!access_.ca_pem.empty()) add_ca(ctx, access_.ca_pem, access_.describe());
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
    if (is_ip_literal(host_))
      X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, host_.c_str(), host_.size());
  }
  if (!access_.client_cert_pem.empty()) use_client_certificate(ctx, access_);
  limiter_ = limiter_for(access_.server, limits_.qps, limits_.burst);
  refresh_credentials();
}

ApiClient::~ApiClient() { cancel_streams(); }

void ApiClient::refresh_credentials() {
  std::string token = access_.token;
  if (access_.exec)
    token = run_exec_plugin(access_);
  else if (!access_.token_file.empty())
    token = read_token_file(access_);
  std::lock_guard lock(mutex_);
  token_ = token;
}

std::string ApiClient::bearer() {
  std::lock_guard lock(mutex_);
  return token_;
}

std::unique_ptr<Poco::Net::HTTPSClientSession> ApiClient::take_session() {
  {
    std::lock_guard lock(mutex_);
    if (!pool_.empty()) {
      auto session = std::move(pool_.back());
      pool_.pop_back();
      return session;
    }
  }
  auto session = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, tls_->context);
  session->setTimeout(Poco::Timespan(limits_.timeout.count() * 1000));
  session->setKeepAlive(true);
  return session;
}

void ApiClient::give_back(std::unique_ptr<Poco::Net::HTTPSClientSession> session) {
  std::lock_guard lock(mutex_);
  if (pool_.size() < 16) pool_.push_back(std::move(session));
}

void ApiClient::fail(const std::string& what, const std::exception& cause) {
  if (dynamic_cast<const Poco::Net::SSLException*>(&cause)) {
    throw AuthenticationFailed(access_.describe() + ": TLS refused (" + what +
                               "): " + static_cast<const Poco::Exception&>(cause).displayText());
  }
  if (auto* poco = dynamic_cast<const Poco::Exception*>(&cause)) {
    throw ConnectionFailed(access_.describe() + ": " + what + ": " + poco->displayText());
  }
  throw ConnectionFailed(access_.describe() + ": " + what + ": " + cause.what());
}

ApiResponse ApiClient::once(const std::string& method, const std::string& path,
                            const std::string& body, const std::string& content_type,
                            std::size_t limit, bool* truncated) {
  for (int attempt = 0;; ++attempt) {
    auto session = take_session();
    const bool reused = session->connected();
    try {
      Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
      request.setKeepAlive(true);
      request.set("Accept", "application/json");
      request.set("User-Agent", "cuttle");
      if (std::string token = bearer(); !token.empty()) {
        request.set("Authorization", "Bearer " + token);
      }
      if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
        request.setContentType(content_type);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
      }
      session->sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::istream& in = session->receiveResponse(response);
      ApiResponse result;
      result.status = static_cast<int>(response.getStatus());
      char buffer[16384];
      bool cut = false;
      while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        std::size_t n = static_cast<std::size_t>(in.gcount());
        if (result.body.size() + n > limit) {
          result.body.append(buffer, limit - result.body.size());
          cut = true;
          break;
        }
        result.body.append(buffer, n);
      }
      if (truncated) *truncated = cut;
      if (result.status == 429) result.retry_after = response.get("Retry-After", "1");
      if (cut)
        session->reset();  // the rest of the body is still on the wire
      else
        give_back(std::move(session));
      return result;
    } catch (const Poco::Net::SSLException& e) {
      fail(method + " " + path, e);
    } catch (const Poco::Exception& e) {
      // A pooled keep-alive connection the server closed in the meantime: one fresh try.
      if (reused && attempt == 0) continue;
      fail(method + " " + path, e);
    }
  }
}

ApiResponse ApiClient::request(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& content_type) {
  bool refreshed = false;
  for (int attempt = 0;; ++attempt) {
    limiter_->acquire();
    ++requests_;
    ApiResponse response = once(method, path, body, content_type, 64 * 1024 * 1024, nullptr);
    if (response.status == 429 && attempt < 10) {
      long seconds = std::strtol(response.retry_after.c_str(), nullptr, 10);
      seconds = std::clamp<long>(seconds, 1, limits_.max_retry_after.count());
      limiter_->pause_for(std::chrono::seconds(seconds));
      continue;
    }
    if (response.status == 401) {
      if (!refreshed && (access_.exec || !access_.token_file.empty())) {
        refresh_credentials();
        refreshed = true;
        continue;
      }
      throw AuthenticationFailed(access_.describe() +
                                 ": refused the credentials: " + response.describe());
    }
    return response;
  }
}

ApiResponse ApiClient::get_bounded(const std::string& path, std::size_t limit, bool& truncated) {
  limiter_->acquire();
  ++requests_;
  return once("GET", path, {}, "application/json", limit, &truncated);
}

int ApiClient::stream_lines(const std::string& path,
                            const std::function<bool(std::string_view)>& line) {
  if (cancelled_) return 0;
  limiter_->acquire();
  ++requests_;
  Poco::Net::HTTPSClientSession session(host_, port_, tls_->context);
  // A watch asks the server to end it within 5 minutes; bookmarks come more often.
  session.setTimeout(Poco::Timespan(6 * 60, 0));
  {
    std::lock_guard lock(mutex_);
    streams_.push_back(&session);
  }
  struct Unregister {
    ApiClient* self;
    Poco::Net::HTTPSClientSession* session;
    ~Unregister() {
      std::lock_guard lock(self->mutex_);
      std::erase(self->streams_, session);
    }
  } unregister{this, &session};
  try {
    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    if (std::string token = bearer(); !token.empty())
      request.set("Authorization", "Bearer " + token);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    const int status = static_cast<int>(response.getStatus());
    if (status != 200) {
      std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (status == 401 && (access_.exec || !access_.token_file.empty())) refresh_credentials();
      if (status == 429) {
        long seconds = std::strtol(response.get("Retry-After", "1").c_str(), nullptr, 10);
        limiter_->pause_for(
            std::chrono::seconds(std::clamp<long>(seconds, 1, limits_.max_retry_after.count())));
      }
      line(body);
      return status;
    }
    std::string text;
    while (!cancelled_ && std::getline(in, text)) {
      if (text.empty()) continue;
      if (!line(text)) break;
    }
    return status;
  } catch (const Poco::Exception& e) {
    if (cancelled_) return 0;
    fail("watch " + path, e);
  }
}

std::unique_ptr<Poco::Net::WebSocket> ApiClient::open_websocket(const std::string& path,
                                                                const std::string& protocols,
                                                                std::string& chosen) {
  limiter_->acquire();
  ++requests_;
  Poco::Net::HTTPSClientSession session(host_, port_, tls_->context);
  session.setTimeout(Poco::Timespan(limits_.timeout.count() * 1000));
  Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Sec-WebSocket-Protocol", protocols);
  if (std::string token = bearer(); !token.empty()) request.set("Authorization", "Bearer " + token);
  Poco::Net::HTTPResponse response;
  try {
    auto socket = std::make_unique<Poco::Net::WebSocket>(session, request, response);
    chosen = response.get("Sec-WebSocket-Protocol", "");
    return socket;
  } catch (const Poco::Net::WebSocketException& e) {
    throw ConnectionFailed(access_.describe() + ": exec " + path + " refused: HTTP " +
                           std::to_string(static_cast<int>(response.getStatus())) + " " +
                           e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    fail("exec " + path, e);
  } catch (const Poco::Exception& e) {
    fail("exec " + path, e);
  }
}

void ApiClient::cancel_streams() {
  cancelled_ = true;
  std::lock_guard lock(mutex_);
  for (Poco::Net::HTTPSClientSession* session : streams_) {
    try {
      session->abort();
    } catch (const Poco::Exception&) {
      // already closed
    }
  }
}

}  // namespace cuttle::detail
