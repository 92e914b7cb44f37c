// The service configuration (`cuttle serve --config FILE`, JSON; see docs/config.md) and
// the embedded default a new user starts with. Thread-safety: value types.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/scheduler.h"

namespace cuttle::rest {

struct SchedulerConfig {
  std::string name;
  std::string location;  // "local://", "slurm+ssh://alice@hpc", ...
  SchedulerOptions options;
  // Whether every instance sharing the store can reach this scheduler, so another
  // instance may adopt its jobs when their owner dies. Unset: true except for local://.
  std::optional<bool> shared = std::nullopt;
  bool is_shared() const;
};

// A MAC key used to sign status callbacks sent to one host:port.
struct MacKey {
  std::string scope;  // "host:port"; "*" matches every callback target
  std::string id;
  std::string key;
  std::string algorithm = "hmac-sha-1";  // or "hmac-sha-256"
};

struct TokenConfig {
  std::string name;    // who holds it (logged, never the token)
  std::string sha256;  // lower-case hex SHA-256 of the token
};

struct StoreConfig {
  std::string kind = "sqlite";  // "sqlite" | "postgresql"
  std::string path;             // sqlite: database file
  std::string connection;       // postgresql: libpq connection string
  std::size_t pool_size = 4;    // postgresql: connections (SQLite uses one)
  // State changes held in memory, in order, while the database is away; beyond this a
  // change is not recorded (the next poll observes it again).
  std::size_t max_held_changes = 100'000;
};

// Each instance holds a lease on its jobs, renewed in the store every ttl/3; when it
// expires, a live instance adopts the jobs on shared schedulers.
struct LeaseConfig {
  std::chrono::milliseconds ttl{30'000};
  std::chrono::milliseconds check_interval{2'000};  // how often expired peers are looked for
};

// How much a client may hold of the HTTP server (see docs/config.md, "http").
struct HttpLimits {
  std::size_t max_connections = 10000;
  std::size_t max_event_streams = 256;
  std::chrono::milliseconds header_timeout{15'000};  // idle keep-alive and a request's header
  std::chrono::milliseconds body_timeout{30'000};
};

struct TlsConfig {
  bool enabled = false;
  std::string certificate;  // PEM file
  std::string private_key;  // PEM file
  std::string ca;           // optional PEM file of CAs used to check callback servers
};

struct Limits {
  std::uint64_t max_body_bytes = 1 << 20;
  std::size_t max_arguments = 1024;
  std::size_t max_staged_files = 1024;
  std::size_t max_environment = 1024;
  std::size_t max_string_bytes = 64 * 1024;
  std::size_t max_json_depth = 32;
};

// The jobs API (bindings/rest/jobs_api_routes.h): what a JobSpecification's
// `application` and `product` resolve to. See docs/config.md, "jobs_api".
struct JobsApiApplication {
  std::string name;
  std::string version;
  std::string image;  // empty: `executable` runs on the scheduler's machine
  std::string executable;
  std::vector<std::string> arguments;  // fixed: every job of the application gets them
  std::map<std::string, std::string> environment;
};

struct JobsApiProduct {
  std::string category;
  std::string id;
  std::string provider;
  std::string scheduler;  // a configured scheduler's name
  std::string queue;      // empty: the scheduler's default
};

struct JobsApiConfig {
  std::vector<JobsApiApplication> applications;
  std::vector<JobsApiProduct> products;
  std::size_t max_items = 100;    // items in one bulk request
  std::size_t max_replicas = 16;  // copies one specification may ask for

  const JobsApiApplication* find_application(const std::string& name,
                                             const std::string& version) const;
  const JobsApiProduct* find_product(const std::string& category, const std::string& id,
                                     const std::string& provider) const;
};

// The GA4GH TES routes (docs/rest.md, "GA4GH TES"; docs/config.md, "tes").
struct TesConfig {
  // file:// URLs of inputs and outputs must resolve under one of these; empty after
  // parsing means jobdir_roots.
  std::vector<std::string> roots;
  // On this machine: content and http(s) inputs fetched at submit, executor logs, the
  // copies wildcard outputs are matched in. Empty: <data directory>/tes.
  std::string staging_directory;
  bool http_inputs = true;                            // fetch http(s):// inputs at submit
  std::uint64_t max_http_input_bytes = 256ull << 20;  // per input
  std::chrono::milliseconds http_timeout{60'000};
  std::uint64_t max_log_bytes = 64 << 10;  // tail of stdout/stderr shown in view=FULL
  std::string scheduler;                   // empty: default_scheduler
};

// The container job service contract (`/api/process/...`, bindings/rest/process_routes.h,
// docs/rest.md). "The platform" is a directory with one directory per project: inputs
// come from it, outputs and container logs go back to it.
struct ProcessProject {
  std::string id;                       // a directory under platform_root ([A-Za-z0-9._-])
  std::vector<std::string> key_sha256;  // its API keys (dhi-open-api-key), SHA-256 hex
  // Empty: none. Else every state change of the project's jobs is PUT there through the
  // callback outbox (durable, in order, MAC-signed with the callbacks.mac key of its
  // host:port), the body being the job's status document.
  std::string webhook_url;
};

struct ProcessConfig {
  bool enabled = false;       // the config has a "process" section
  std::string platform_root;  // absolute
  std::vector<ProcessProject> projects;
  std::string scheduler;  // empty: the default scheduler
  std::string container_runtime = "auto";
  std::map<std::string, std::string> images;  // an Image as requests name it -> what runs
  int default_retry_limit = 3;                // RetryLimit when the request has none
};

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 9998;
  std::string public_url;  // base of job URLs; empty: taken from the request's Host
  TlsConfig tls;
  std::vector<SchedulerConfig> schedulers;
  std::string default_scheduler;
  std::string sandbox_root;            // handed to adaptors that declare a sandbox root
  std::vector<std::string> job_roots;  // jobdir must lie under one of these
  // job_roots with symlinks resolved when the service started ("" for one that did not
  // exist then, resolved per request instead); filled by JobService, empty elsewhere.
  std::vector<std::string> resolved_job_roots;
  std::vector<MacKey> mac_keys;
  std::chrono::milliseconds callback_retry_initial{500};
  std::chrono::milliseconds callback_retry_max{60'000};
  std::chrono::milliseconds callback_give_up_after{24 * 3600 * 1000};
  std::chrono::milliseconds callback_timeout{10'000};
  std::size_t callback_workers = 4;
  StoreConfig store;
  std::string instance = "default";  // owner of the jobs this process accepts
  LeaseConfig lease;
  std::vector<TokenConfig> tokens;
  bool tokens_disabled = false;  // only honoured when listening on loopback
  std::chrono::milliseconds poll_interval{5'000};
  std::optional<std::chrono::milliseconds> retain_finished;  // empty: keep forever
  bool retention_deletes_sandboxes = false;  // remove a local job's sandbox with its record
  bool delete_sandbox_on_cancel = true;
  Limits limits;
  std::size_t submit_workers = 4;
  std::size_t http_threads = 64;  // workers running request handlers
  HttpLimits http;
  JobsApiConfig jobs_api;
  TesConfig tes;
  ProcessConfig process;

  bool listens_on_loopback() const;
  const SchedulerConfig* find_scheduler(const std::string& name) const;
};

// Parses a config file; throws InvalidArgument naming the key and the reason.
Config load_config_file(const std::string& path);
Config parse_config(const std::string& json_text, const std::string& origin);
// 127.0.0.1:9998, the local adaptor in detached mode, SQLite in the user's data
// directory ($XDG_DATA_HOME, else ~/.local/share/cuttle), no tokens.
Config default_config();
// Checks cross-field rules (tokens, default scheduler, roots); throws InvalidArgument.
void validate(const Config& config);

// $XDG_DATA_HOME/cuttle or ~/.local/share/cuttle.
std::string user_data_directory();
// Lower-case hex SHA-256 (tokens are stored that way).
std::string sha256_hex(const std::string& data);

}  // namespace cuttle::rest
