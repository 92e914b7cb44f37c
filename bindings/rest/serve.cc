#include "bindings/rest/serve.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "bindings/rest/http_api.h"
#include "bindings/rest/http_server.h"
#include "bindings/rest/job_service.h"
#include "bindings/rest/joblauncher_routes.h"
#include "bindings/rest/jobs_api_routes.h"
#include "bindings/rest/process_routes.h"
#include "bindings/rest/service_allocator.h"
#include "bindings/rest/tes_routes.h"
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

HttpServerOptions server_options(const Config& config) {
  HttpServerOptions o;
  o.host = config.listen_host;
  o.port = config.listen_port;
  o.tls = config.tls.enabled;
  o.certificate = config.tls.certificate;
  o.private_key = config.tls.private_key;
  o.worker_threads = config.http_threads;
  o.max_connections = config.http.max_connections;
  o.max_streams = config.http.max_event_streams;
  o.max_body_bytes = config.limits.max_body_bytes;
  o.header_timeout = config.http.header_timeout;
  o.body_timeout = config.http.body_timeout;
  return o;
}

}  // namespace

int serve_main(const std::vector<std::string>& args, const SchedulerDecorator& decorate) {
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
  // Every open connection is a descriptor: allow as many as the hard limit permits (the
  // soft limit is often 1,024, below http.max_connections).
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  try {
    JobService service(config, decorate);
    service.start();
    HttpApi api(service);
    add_joblauncher_routes(api.router(), service);
    add_jobs_api_routes(api.router(), service);
    add_process_routes(api, service);
    add_tes_routes(api.router(), service);
    HttpServer server(
        server_options(config), [&api](const HttpRequest& request) { return api.handle(request); },
        [&service](int status) { service.metrics().count_response(status); },
        [&api](const HttpRequest& request) { return api.answer_at_once(request); });
    server.start();
    const std::string url = std::string(config.tls.enabled ? "https://" : "http://") +
                            config.listen_host + ":" + std::to_string(config.listen_port);
    log(LogLevel::kInfo, "rest", "listening",
        {{"url", url},
         {"store", config.store.kind},
         {"tokens", config.tokens_disabled ? "off" : "required"},
         {"allocator", service_allocator_state()}});
    int received = 0;
    sigwait(&signals, &received);
    log(LogLevel::kInfo, "rest", "stopping", {{"signal", std::to_string(received)}});
    // The service first: it wakes event streams so their connections can close.
    service.stop();
    server.stop();
    return 0;
  } catch (const Error& e) {
    std::cerr << "cuttle serve: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "cuttle serve: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace cuttle::rest
