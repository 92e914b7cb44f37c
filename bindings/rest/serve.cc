#include "bindings/rest/serve.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "bindings/rest/http_api.h"
#include "bindings/rest/job_service.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::rest {
namespace {

using detail::log;
using detail::LogLevel;

constexpr const char* kUsage =
    "usage: cuttle serve [--config FILE] [--listen HOST:PORT]\n"
    "  Runs the joblauncher-compatible REST service until SIGINT/SIGTERM.\n"
    "  Without --config: 127.0.0.1:9998, the local scheduler (detached jobs), an SQLite\n"
    "  store in $XDG_DATA_HOME/cuttle (else ~/.local/share/cuttle), no tokens.\n"
    "  See docs/rest.md and docs/config.md.\n";

Poco::Net::ServerSocket make_socket(const Config& config) {
  const Poco::Net::SocketAddress address(config.listen_host, config.listen_port);
  if (!config.tls.enabled) return Poco::Net::ServerSocket(address, 256);
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr context = new Poco::Net::Context(
      Poco::Net::Context::TLS_SERVER_USE, config.tls.private_key, config.tls.certificate,
      config.tls.ca, Poco::Net::Context::VERIFY_NONE);
  return Poco::Net::SecureServerSocket(address, 256, context);
}

}  // namespace

int serve_main(const std::vector<std::string>& args) {
  std::string config_path;
  std::string listen;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if ((a == "--config" || a == "--listen") && i + 1 < args.size()) {
      (a == "--config" ? config_path : listen) = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a.rfind("--listen=", 0) == 0) {
      listen = a.substr(9);
    } else {
      std::cerr << "cuttle serve: unknown argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (!std::getenv("CUTTLE_LOG")) setenv("CUTTLE_LOG", "info", 0);

  Config config;
  try {
    config = config_path.empty() ? default_config() : load_config_file(config_path);
    if (!listen.empty()) {
      Config patched = parse_config(nlohmann::json{{"listen", listen}}.dump(), "--listen");
      config.listen_host = patched.listen_host;
      config.listen_port = patched.listen_port;
    }
    validate(config);
  } catch (const Error& e) {
    std::cerr << "cuttle serve: " << e.what() << '\n';
    return 2;
  }

  // Signals are taken by sigwait below; every thread started from here inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    JobService service(config);
    service.start();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(static_cast<int>(config.http_threads));
    params->setMaxQueued(1024);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    params->setKeepAliveTimeout(Poco::Timespan(15, 0));
    params->setTimeout(Poco::Timespan(30, 0));
    Poco::ThreadPool pool(2, static_cast<int>(config.http_threads) + 2);
    Poco::Net::HTTPServer server(new ApiHandlerFactory(service, config.tls.enabled), pool,
                                 make_socket(config), params);
    server.start();
    const std::string url = std::string(config.tls.enabled ? "https://" : "http://") +
                            config.listen_host + ":" + std::to_string(config.listen_port);
    log(LogLevel::kInfo, "rest", "listening",
        {{"url", url},
         {"store", config.store.kind},
         {"tokens", config.tokens_disabled ? "off" : "required"}});
    int received = 0;
    sigwait(&signals, &received);
    log(LogLevel::kInfo, "rest", "stopping", {{"signal", std::to_string(received)}});
    // The service first: it wakes event streams so their connections can close.
    service.stop();
    server.stopAll(true);
    pool.joinAll();
    return 0;
  } catch (const Error& e) {
    std::cerr << "cuttle serve: " << e.what() << '\n';
    return 1;
  } catch (const Poco::Exception& e) {
    std::cerr << "cuttle serve: " << e.displayText() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "cuttle serve: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace cuttle::rest
