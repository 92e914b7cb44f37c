// The service's JSON configuration: every key checked (unknown ones refused by name), the
// schedulers, callbacks (MAC keys), store, retention and HTTP limits.
// (~420 lines: parse_config reads every section in one pass through one Reader that names
// each bad key by its path; it is long because the configuration is wide, not deep.)
#include "bindings/rest/config.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cuttle/container.h"
#include "cuttle/error.h"
#include "cuttle/location.h"
#include "cuttle/properties.h"

namespace cuttle::rest {
namespace {

using json = nlohmann::ordered_json;  // file order: the first scheduler is the default

[[noreturn]] void bad(const std::string& origin, const std::string& key, const std::string& why) {
  throw InvalidArgument(origin + ": " + key + ": " + why);
}

class Reader {
 public:
  Reader(const json& object, std::string origin, std::string prefix)
      : object_(object), origin_(std::move(origin)), prefix_(std::move(prefix)) {
    if (!object_.is_object())
      bad(origin_, prefix_.empty() ? "(top)" : prefix_, "must be an object");
  }
  // Every key of the object must be one of `known`.
  void only(const std::set<std::string>& known) const {
    for (const auto& [key, value] : object_.items()) {
      if (!known.count(key)) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        bad(origin_, path(key), "unknown key (valid: " + list + ")");
      }
    }
  }
  bool has(const std::string& key) const {
    return object_.contains(key) && !object_[key].is_null();
  }
  const json& at(const std::string& key) const { return object_.at(key); }
  std::string path(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "." + key;
  }

  std::string str(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!object_[key].is_string()) bad(origin_, path(key), "must be a string");
    return object_[key].get<std::string>();
  }
  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!object_[key].is_boolean()) bad(origin_, path(key), "must be true or false");
    return object_[key].get<bool>();
  }
  std::uint64_t count(const std::string& key, std::uint64_t fallback) const {
    if (!has(key)) return fallback;
    const auto& v = object_[key];
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_string()) {
      try {
        return parse_size(v.get<std::string>());
      } catch (const Error& e) {
        bad(origin_, path(key), e.what());
      }
    }
    bad(origin_, path(key), "must be a non-negative integer");
  }
  std::chrono::milliseconds duration(const std::string& key,
                                     std::chrono::milliseconds fallback) const {
    if (!has(key)) return fallback;
    const auto& v = object_[key];
    if (v.is_number_unsigned()) return std::chrono::seconds(v.get<std::uint64_t>());
    if (!v.is_string()) bad(origin_, path(key), "must be a duration such as \"30s\" or \"5m\"");
    try {
      return parse_duration(v.get<std::string>());
    } catch (const Error& e) {
      bad(origin_, path(key), e.what());
    }
  }
  std::vector<std::string> strings(const std::string& key) const {
    std::vector<std::string> out;
    if (!has(key)) return out;
    if (!object_[key].is_array()) bad(origin_, path(key), "must be a list of strings");
    for (const auto& v : object_[key]) {
      if (!v.is_string()) bad(origin_, path(key), "must be a list of strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  std::map<std::string, std::string> string_map(const std::string& key) const {
    std::map<std::string, std::string> out;
    if (!has(key)) return out;
    if (!object_[key].is_object()) bad(origin_, path(key), "must be an object of strings");
    for (const auto& [k, v] : object_[key].items()) {
      if (v.is_string()) {
        out[k] = v.get<std::string>();
      } else if (v.is_number() || v.is_boolean()) {
        out[k] = v.dump();
      } else {
        bad(origin_, path(key) + "." + k, "must be a string");
      }
    }
    return out;
  }
  const std::string& origin() const { return origin_; }

 private:
  const json& object_;
  std::string origin_;
  std::string prefix_;
};

void parse_listen(const std::string& origin, const std::string& text, Config& config) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) bad(origin, "listen", "must be host:port");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    bad(origin, "listen", "port must be a number");
  }
  const unsigned long port = std::stoul(port_text);
  if (port > 65535) bad(origin, "listen", "port must be at most 65535");
  config.listen_host = host;
  config.listen_port = static_cast<std::uint16_t>(port);
}

Credential parse_credential(const Reader& r, const std::string& key) {
  Credential credential;
  if (!r.has(key)) return credential;
  Reader c(r.at(key), r.origin(), r.path(key));
  c.only({"kind", "user", "key_file", "passphrase", "password", "token"});
  const std::string kind = c.str("kind", "default");
  credential.user = c.str("user", "");
  if (kind == "default") {
    credential.kind = Credential::Kind::kDefault;
  } else if (kind == "key_file") {
    credential.kind = Credential::Kind::kKeyFile;
    credential.key_file = c.str("key_file", "");
    credential.secret = c.str("passphrase", "");
  } else if (kind == "password") {
    credential.kind = Credential::Kind::kPassword;
    credential.secret = c.str("password", "");
  } else if (kind == "token") {
    credential.kind = Credential::Kind::kToken;
    credential.secret = c.str("token", "");
  } else {
    bad(r.origin(), c.path("kind"), "must be default, key_file, password or token");
  }
  return credential;
}

// "jobs_api": applications (name + version -> image or executable) and products
// (category/id/provider -> scheduler and queue).
void parse_jobs_api(const Reader& r, JobsApiConfig& out) {
  Reader j(r.at("jobs_api"), r.origin(), "jobs_api");
  j.only({"applications", "products", "max_items", "max_replicas"});
  out.max_items = j.count("max_items", out.max_items);
  out.max_replicas = j.count("max_replicas", out.max_replicas);
  if (out.max_items == 0) bad(r.origin(), "jobs_api.max_items", "must be at least 1");
  if (out.max_replicas == 0) bad(r.origin(), "jobs_api.max_replicas", "must be at least 1");
  auto list = [&](const std::string& key) -> const json& {
    static const json kEmpty = json::array();
    if (!j.has(key)) return kEmpty;
    if (!j.at(key).is_array()) bad(r.origin(), j.path(key), "must be a list");
    return j.at(key);
  };
  std::size_t i = 0;
  for (const auto& entry : list("applications")) {
    Reader a(entry, r.origin(), "jobs_api.applications[" + std::to_string(i++) + "]");
    a.only({"name", "version", "image", "executable", "arguments", "environment"});
    JobsApiApplication app{a.str("name", ""),      a.str("version", ""),
                           a.str("image", ""),     a.str("executable", ""),
                           a.strings("arguments"), a.string_map("environment")};
    if (app.name.empty() || app.version.empty())
      bad(r.origin(), a.path("name"), "name and version are required");
    if (app.executable.empty())
      bad(r.origin(), a.path("executable"),
          "is required (the command, in the image when one is named)");
    if (out.find_application(app.name, app.version))
      bad(r.origin(), a.path("name"), "is listed twice with this version");
    out.applications.push_back(std::move(app));
  }
  i = 0;
  for (const auto& entry : list("products")) {
    Reader p(entry, r.origin(), "jobs_api.products[" + std::to_string(i++) + "]");
    p.only({"category", "id", "provider", "scheduler", "queue"});
    JobsApiProduct product{p.str("category", ""), p.str("id", ""), p.str("provider", ""),
                           p.str("scheduler", ""), p.str("queue", "")};
    if (product.category.empty() || product.id.empty() || product.provider.empty()) {
      bad(r.origin(), p.path("id"), "category, id and provider are required");
    }
    if (product.scheduler.empty())
      bad(r.origin(), p.path("scheduler"), "is required (a scheduler named in schedulers)");
    if (out.find_product(product.category, product.id, product.provider)) {
      bad(r.origin(), p.path("id"), "is listed twice");
    }
    out.products.push_back(std::move(product));
  }
}

}  // namespace

const JobsApiApplication* JobsApiConfig::find_application(const std::string& name,
                                                          const std::string& version) const {
  for (const auto& a : applications) {
    if (a.name == name && a.version == version) return &a;
  }
  return nullptr;
}

const JobsApiProduct* JobsApiConfig::find_product(const std::string& category,
                                                  const std::string& id,
                                                  const std::string& provider) const {
  for (const auto& p : products) {
    if (p.category == category && p.id == id && p.provider == provider) return &p;
  }
  return nullptr;
}

bool Config::listens_on_loopback() const {
  return listen_host == "localhost" || listen_host == "::1" || listen_host.rfind("127.", 0) == 0;
}

const SchedulerConfig* Config::find_scheduler(const std::string& name) const {
  for (const auto& s : schedulers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool SchedulerConfig::is_shared() const {
  if (shared) return *shared;
  return Location::parse(location).scheme != "local";
}

std::string user_data_directory() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string(xdg) + "/cuttle";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.local/share/cuttle";
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Config default_config() {
  Config config;
  const std::string data = user_data_directory();
  config.schedulers.push_back({"local", "local://", {{{"mode", "detached"}}, {}}});
  config.default_scheduler = "local";
  config.sandbox_root = data + "/sandboxes";
  const char* home = std::getenv("HOME");
  if (home && *home) config.job_roots.push_back(home);
  config.job_roots.push_back("/tmp");
  config.store.kind = "sqlite";
  config.store.path = data + "/jobs.db";
  config.tokens_disabled = true;
  config.tes.roots = config.job_roots;
  config.tes.staging_directory = data + "/tes";
  return config;
}

namespace {

bool lower_hex_sha256(const std::string& text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool safe_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.size() <= 255 &&
         name.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string::npos;
}

// The "tes" section: the GA4GH TES routes.
TesConfig parse_tes(const json& section, const std::string& origin, TesConfig tes) {
  Reader t(section, origin, "tes");
  t.only({"roots", "staging_directory", "http_inputs", "max_http_input_bytes", "http_timeout",
          "max_log_bytes", "scheduler"});
  tes.roots = t.strings("roots");
  tes.staging_directory = t.str("staging_directory", tes.staging_directory);
  tes.http_inputs = t.boolean("http_inputs", tes.http_inputs);
  tes.max_http_input_bytes = t.count("max_http_input_bytes", tes.max_http_input_bytes);
  tes.http_timeout = t.duration("http_timeout", tes.http_timeout);
  tes.max_log_bytes = t.count("max_log_bytes", tes.max_log_bytes);
  tes.scheduler = t.str("scheduler", "");
  return tes;
}

// The "process" section: the container job service contract.
ProcessConfig parse_process(const json& section, const std::string& origin) {
  Reader p(section, origin, "process");
  p.only({"platform_root", "projects", "scheduler", "container_runtime", "images", "retry_limit"});
  ProcessConfig out;
  out.enabled = true;
  out.platform_root = p.str("platform_root", "");
  if (out.platform_root.empty() || out.platform_root.front() != '/') {
    bad(origin, p.path("platform_root"), "must be an absolute path");
  }
  if (p.has("projects")) {
    Reader projects(p.at("projects"), origin, p.path("projects"));
    for (const auto& [id, value] : p.at("projects").items()) {
      if (!safe_name(id)) bad(origin, projects.path(id), "a project id is [A-Za-z0-9._-]+");
      Reader one(value, origin, projects.path(id));
      one.only({"api_keys_sha256", "webhook_url"});
      ProcessProject project{id, one.strings("api_keys_sha256"), one.str("webhook_url", "")};
      if (!project.webhook_url.empty() && project.webhook_url.rfind("http://", 0) != 0 &&
          project.webhook_url.rfind("https://", 0) != 0) {
        bad(origin, one.path("webhook_url"), "must be an http:// or https:// URL");
      }
      for (const auto& key : project.key_sha256) {
        if (!lower_hex_sha256(key)) {
          bad(origin, one.path("api_keys_sha256"),
              "must be 64 lower-case hex digits (sha256sum of the key)");
        }
      }
      out.projects.push_back(std::move(project));
    }
  }
  out.scheduler = p.str("scheduler", "");
  out.container_runtime = p.str("container_runtime", "auto");
  try {
    parse_container_runtime(out.container_runtime);
  } catch (const Error& e) {
    bad(origin, p.path("container_runtime"), e.what());
  }
  out.images = p.string_map("images");
  const std::uint64_t retries = p.count("retry_limit", 3);
  if (retries > 100) bad(origin, p.path("retry_limit"), "must be at most 100");
  out.default_retry_limit = static_cast<int>(retries);
  return out;
}

}  // namespace

Config parse_config(const std::string& json_text, const std::string& origin) {
  json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded()) bad(origin, "(file)", "is not valid JSON");
  Reader r(root, origin, "");
  r.only({"listen",
          "public_url",
          "tls",
          "schedulers",
          "default_scheduler",
          "sandbox_root",
          "jobdir_roots",
          "callbacks",
          "store",
          "instance",
          "lease",
          "auth",
          "poll_interval",
          "retention",
          "limits",
          "submit_workers",
          "http_threads",
          "http",
          "delete_sandbox_on_cancel",
          "jobs_api",
          "process",
          "tes"});
  Config config = default_config();
  if (r.has("listen")) parse_listen(origin, r.str("listen", ""), config);
  config.public_url = r.str("public_url", "");
  while (!config.public_url.empty() && config.public_url.back() == '/')
    config.public_url.pop_back();

  if (r.has("tls")) {
    Reader t(r.at("tls"), origin, "tls");
    t.only({"enabled", "certificate", "private_key", "ca"});
    config.tls.enabled = t.boolean("enabled", true);
    config.tls.certificate = t.str("certificate", "");
    config.tls.private_key = t.str("private_key", "");
    config.tls.ca = t.str("ca", "");
  }
  if (r.has("schedulers")) {
    config.schedulers.clear();
    Reader s(r.at("schedulers"), origin, "schedulers");
    for (const auto& [name, value] : r.at("schedulers").items()) {
      Reader one(value, origin, "schedulers." + name);
      one.only({"location", "properties", "credential", "shared"});
      SchedulerConfig sc;
      sc.name = name;
      sc.location = one.str("location", "");
      if (sc.location.empty()) bad(origin, one.path("location"), "is required");
      sc.options.properties = one.string_map("properties");
      sc.options.credential = parse_credential(one, "credential");
      if (one.has("shared")) sc.shared = one.boolean("shared", false);
      config.schedulers.push_back(std::move(sc));
    }
    config.default_scheduler = config.schedulers.empty() ? "" : config.schedulers.front().name;
  }
  config.default_scheduler = r.str("default_scheduler", config.default_scheduler);
  config.sandbox_root = r.str("sandbox_root", config.sandbox_root);
  if (r.has("jobdir_roots")) config.job_roots = r.strings("jobdir_roots");
  config.delete_sandbox_on_cancel = r.boolean("delete_sandbox_on_cancel", true);

  if (r.has("callbacks")) {
    Reader c(r.at("callbacks"), origin, "callbacks");
    c.only({"mac", "retry_initial", "retry_max", "give_up_after", "timeout", "workers"});
    config.callback_retry_initial = c.duration("retry_initial", config.callback_retry_initial);
    config.callback_retry_max = c.duration("retry_max", config.callback_retry_max);
    config.callback_give_up_after = c.duration("give_up_after", config.callback_give_up_after);
    config.callback_timeout = c.duration("timeout", config.callback_timeout);
    config.callback_workers = c.count("workers", config.callback_workers);
    if (config.callback_workers == 0) bad(origin, "callbacks.workers", "must be at least 1");
    if (c.has("mac")) {
      if (!c.at("mac").is_array()) bad(origin, "callbacks.mac", "must be a list");
      std::size_t i = 0;
      for (const auto& entry : c.at("mac")) {
        Reader m(entry, origin, "callbacks.mac[" + std::to_string(i++) + "]");
        m.only({"scope", "id", "key", "algorithm"});
        MacKey key{m.str("scope", ""), m.str("id", ""), m.str("key", ""),
                   m.str("algorithm", "hmac-sha-1")};
        if (key.scope.empty()) bad(origin, m.path("scope"), "is required (host:port or *)");
        if (key.id.empty() || key.key.empty()) bad(origin, m.path("id"), "id and key are required");
        if (key.algorithm != "hmac-sha-1" && key.algorithm != "hmac-sha-256") {
          bad(origin, m.path("algorithm"), "must be hmac-sha-1 or hmac-sha-256");
        }
        config.mac_keys.push_back(std::move(key));
      }
    }
  }
  if (r.has("store")) {
    Reader s(r.at("store"), origin, "store");
    s.only({"kind", "path", "connection", "pool_size", "max_held_changes"});
    config.store.kind = s.str("kind", "sqlite");
    config.store.path = s.str("path", config.store.path);
    config.store.connection = s.str("connection", "");
    config.store.pool_size = s.count("pool_size", config.store.pool_size);
    if (config.store.pool_size == 0 || config.store.pool_size > 1000) {
      bad(origin, "store.pool_size", "must be between 1 and 1000");
    }
    config.store.max_held_changes = s.count("max_held_changes", config.store.max_held_changes);
    if (config.store.max_held_changes == 0) {
      bad(origin, "store.max_held_changes", "must be at least 1");
    }
    if (config.store.kind != "sqlite" && config.store.kind != "postgresql") {
      bad(origin, "store.kind", "must be sqlite or postgresql");
    }
    if (config.store.kind == "postgresql" && config.store.connection.empty()) {
      bad(origin, "store.connection", "is required for postgresql");
    }
  }
  config.instance = r.str("instance", config.instance);
  if (r.has("lease")) {
    Reader l(r.at("lease"), origin, "lease");
    l.only({"ttl", "check_interval"});
    config.lease.ttl = l.duration("ttl", config.lease.ttl);
    config.lease.check_interval = l.duration("check_interval", config.lease.check_interval);
    if (config.lease.ttl < std::chrono::seconds(1)) bad(origin, "lease.ttl", "must be at least 1s");
    if (config.lease.check_interval < std::chrono::milliseconds(100) ||
        config.lease.check_interval > config.lease.ttl) {
      bad(origin, "lease.check_interval", "must be between 100ms and lease.ttl");
    }
  }
  if (r.has("auth")) {
    Reader a(r.at("auth"), origin, "auth");
    a.only({"tokens", "disable_tokens"});
    config.tokens_disabled = a.boolean("disable_tokens", false);
    if (a.has("tokens")) {
      if (!a.at("tokens").is_array()) bad(origin, "auth.tokens", "must be a list");
      std::size_t i = 0;
      for (const auto& entry : a.at("tokens")) {
        Reader t(entry, origin, "auth.tokens[" + std::to_string(i++) + "]");
        t.only({"name", "sha256"});
        TokenConfig token{t.str("name", ""), t.str("sha256", "")};
        if (token.sha256.size() != 64 ||
            token.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
          bad(origin, t.path("sha256"),
              "must be 64 lower-case hex digits (sha256sum of the token)");
        }
        config.tokens.push_back(std::move(token));
      }
    }
  } else {
    // A config file without an auth section asks for tokens: safe by default.
    config.tokens_disabled = false;
  }
  if (r.has("process")) config.process = parse_process(r.at("process"), origin);
  config.poll_interval = r.duration("poll_interval", config.poll_interval);
  if (r.has("retention")) {
    Reader t(r.at("retention"), origin, "retention");
    t.only({"finished_jobs", "delete_sandboxes"});
    if (t.has("finished_jobs")) config.retain_finished = t.duration("finished_jobs", {});
    config.retention_deletes_sandboxes = t.boolean("delete_sandboxes", false);
  }
  if (r.has("limits")) {
    Reader l(r.at("limits"), origin, "limits");
    l.only({"max_body_bytes", "max_arguments", "max_staged_files", "max_environment",
            "max_string_bytes", "max_json_depth"});
    config.limits.max_body_bytes = l.count("max_body_bytes", config.limits.max_body_bytes);
    config.limits.max_arguments = l.count("max_arguments", config.limits.max_arguments);
    config.limits.max_staged_files = l.count("max_staged_files", config.limits.max_staged_files);
    config.limits.max_environment = l.count("max_environment", config.limits.max_environment);
    config.limits.max_string_bytes = l.count("max_string_bytes", config.limits.max_string_bytes);
    config.limits.max_json_depth = l.count("max_json_depth", config.limits.max_json_depth);
  }
  if (r.has("http")) {
    Reader h(r.at("http"), origin, "http");
    h.only({"max_connections", "max_event_streams", "header_timeout", "body_timeout"});
    config.http.max_connections = h.count("max_connections", config.http.max_connections);
    config.http.max_event_streams = h.count("max_event_streams", config.http.max_event_streams);
    config.http.header_timeout = h.duration("header_timeout", config.http.header_timeout);
    config.http.body_timeout = h.duration("body_timeout", config.http.body_timeout);
    if (config.http.max_connections == 0) bad(origin, "http.max_connections", "must be at least 1");
    if (config.http.header_timeout.count() <= 0)
      bad(origin, "http.header_timeout", "must be positive");
    if (config.http.body_timeout.count() <= 0) bad(origin, "http.body_timeout", "must be positive");
  }
  if (r.has("jobs_api")) parse_jobs_api(r, config.jobs_api);
  if (r.has("tes")) config.tes = parse_tes(r.at("tes"), origin, config.tes);
  if (config.tes.roots.empty()) config.tes.roots = config.job_roots;
  config.submit_workers = r.count("submit_workers", config.submit_workers);
  config.http_threads = r.count("http_threads", config.http_threads);
  if (config.submit_workers == 0) bad(origin, "submit_workers", "must be at least 1");
  if (config.http_threads < 2) bad(origin, "http_threads", "must be at least 2");
  return config;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InvalidArgument("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

void validate(const Config& config) {
  if (config.schedulers.empty())
    throw InvalidArgument("config: schedulers: at least one is required");
  if (!config.find_scheduler(config.default_scheduler)) {
    throw InvalidArgument("config: default_scheduler: no scheduler named '" +
                          config.default_scheduler + "'");
  }
  if (config.job_roots.empty())
    throw InvalidArgument("config: jobdir_roots: at least one is required");
  for (const auto& root : config.job_roots) {
    if (root.empty() || root.front() != '/') {
      throw InvalidArgument("config: jobdir_roots: '" + root + "' must be an absolute path");
    }
  }
  for (const auto& root : config.tes.roots) {
    if (root.empty() || root.front() != '/') {
      throw InvalidArgument("config: tes.roots: '" + root + "' must be an absolute path");
    }
  }
  if (config.tes.staging_directory.empty() || config.tes.staging_directory.front() != '/') {
    throw InvalidArgument("config: tes.staging_directory: must be an absolute path");
  }
  if (!config.tes.scheduler.empty() && !config.find_scheduler(config.tes.scheduler)) {
    throw InvalidArgument("config: tes.scheduler: no scheduler named '" + config.tes.scheduler +
                          "'");
  }
  if (config.tokens_disabled && !config.listens_on_loopback()) {
    throw InvalidArgument(
        "config: auth.disable_tokens: tokens can only be turned off when listening on loopback "
        "(listen is " +
        config.listen_host + ")");
  }
  if (!config.tokens_disabled && config.tokens.empty()) {
    throw InvalidArgument(
        "config: auth.tokens: no bearer token configured (add one, or set auth.disable_tokens "
        "on a loopback-only service)");
  }
  if (config.tls.enabled && (config.tls.certificate.empty() || config.tls.private_key.empty())) {
    throw InvalidArgument("config: tls: certificate and private_key are required");
  }
  if (config.process.enabled && !config.process.scheduler.empty() &&
      !config.find_scheduler(config.process.scheduler)) {
    throw InvalidArgument("config: process.scheduler: no scheduler named '" +
                          config.process.scheduler + "'");
  }
  if (config.store.kind == "sqlite" && config.store.path.empty()) {
    throw InvalidArgument("config: store.path: required for sqlite");
  }
  for (const auto& product : config.jobs_api.products) {
    if (!config.find_scheduler(product.scheduler)) {
      throw InvalidArgument("config: jobs_api.products: " + product.id + ": no scheduler named '" +
                            product.scheduler + "'");
    }
  }
}

}  // namespace cuttle::rest
