#include "bindings/rest/job_request.h"

#include <cctype>
#include <climits>
#include <cstdlib>
#include <set>

#include "cuttle/error.h"
#include "cuttle/job_description_json.h"
#include "cuttle/properties.h"
#include "cuttle/sandbox.h"

namespace cuttle::rest {
namespace {

using nlohmann::json;

// Resources and placement (docs/resources.md), dependencies (docs/dependencies.md, by
// this service's job ids), the array spec (docs/arrays.md) and the launch fields
// (docs/launchers.md): core's field names and JSON form.
const char* const kResourceFields[] = {
    "gpus",        "gpu_type",           "account",         "qos",
    "reservation", "constraints",        "exclusive_nodes", "dependencies",
    "array",       "launcher",           "pre_launch",      "post_launch",
    "modules",     "inherit_environment"};

std::set<std::string> known_fields() {
  std::set<std::string> fields = {"jobdir",      "executable",  "arguments",
                                  "prestaged",   "poststaged",  "stdout",
                                  "stderr",      "environment", "status_callback_url",
                                  "scheduler",   "queue",       "max_runtime",
                                  "retry_limit", "name",        "labels"};
  fields.insert(std::begin(kResourceFields), std::end(kResourceFields));
  return fields;
}

const std::set<std::string> kKnownFields = known_fields();

[[noreturn]] void reject(const std::string& field, const std::string& reason, int status = 400) {
  throw RequestError(status, field, reason);
}

std::string text_field(const json& body, const std::string& field, const Limits& limits,
                       bool required) {
  if (!body.contains(field) || body[field].is_null()) {
    if (required) reject(field, "is required");
    return {};
  }
  if (!body[field].is_string()) reject(field, "must be a string");
  std::string value = body[field].get<std::string>();
  if (value.size() > limits.max_string_bytes) reject(field, "is too long", 413);
  if (value.find('\0') != std::string::npos) reject(field, "must not contain NUL bytes");
  return value;
}

std::vector<std::string> string_list(const json& body, const std::string& field,
                                     std::size_t max_items, const Limits& limits) {
  std::vector<std::string> out;
  if (!body.contains(field) || body[field].is_null()) return out;
  const json& list = body[field];
  if (!list.is_array()) reject(field, "must be a list of strings");
  if (list.size() > max_items) {
    reject(field,
           "has " + std::to_string(list.size()) + " entries; the limit is " +
               std::to_string(max_items),
           413);
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string name = field + "[" + std::to_string(i) + "]";
    if (!list[i].is_string()) reject(name, "must be a string");
    std::string value = list[i].get<std::string>();
    if (value.size() > limits.max_string_bytes) reject(name, "is too long", 413);
    if (value.find('\0') != std::string::npos) reject(name, "must not contain NUL bytes");
    out.push_back(std::move(value));
  }
  return out;
}

std::map<std::string, std::string> string_map(const json& body, const std::string& field,
                                              std::size_t max_items, const Limits& limits) {
  std::map<std::string, std::string> out;
  if (!body.contains(field) || body[field].is_null()) return out;
  const json& map = body[field];
  if (!map.is_object()) reject(field, "must be an object of strings");
  if (map.size() > max_items) reject(field, "has too many entries", 413);
  for (const auto& [key, value] : map.items()) {
    const std::string name = field + "." + key;
    if (!value.is_string()) reject(name, "must be a string");
    std::string text = value.get<std::string>();
    if (text.size() + key.size() > limits.max_string_bytes) reject(name, "is too long", 413);
    if (text.find('\0') != std::string::npos || key.find('\0') != std::string::npos) {
      reject(name, "must not contain NUL bytes");
    }
    out[key] = std::move(text);
  }
  return out;
}

std::string real_path_or_empty(const std::string& path) {
  char buffer[PATH_MAX];
  if (::realpath(path.c_str(), buffer) == nullptr) return {};
  return buffer;
}

std::string confined(const std::string& name, const std::string& field) {
  try {
    return confine_relative_path(name, field);
  } catch (const InvalidJobDescription& e) {
    reject(e.field(), e.reason());
  } catch (const Error& e) {
    reject(field, e.what());
  }
}

// The file must exist inside jobdir, and a symlink must not lead out of it.
void check_inside_jobdir(const std::string& jobdir, const std::string& name,
                         const std::string& field) {
  const std::string real = real_path_or_empty(jobdir + "/" + name);
  if (real.empty()) reject(field, "no such file in jobdir: " + name);
  if (!is_under(real, jobdir)) reject(field, "resolves outside jobdir (symlink): " + name);
}

std::string resolve_jobdir(const std::string& jobdir, const Config& config) {
  if (jobdir.empty() || jobdir.front() != '/') reject("jobdir", "must be an absolute path");
  const std::string real = real_path_or_empty(jobdir);
  if (real.empty()) reject("jobdir", "does not exist");
  for (std::size_t i = 0; i < config.job_roots.size(); ++i) {
    const std::string& root = config.job_roots[i];
    std::string real_root =
        i < config.resolved_job_roots.size() ? config.resolved_job_roots[i] : std::string();
    if (real_root.empty()) real_root = real_path_or_empty(root);
    if (real_root.empty()) real_root = root;
    if (is_under(real, real_root)) return real;
  }
  reject("jobdir", "is not under an allowed root (see jobdir_roots in the service config)", 403);
}

std::optional<std::chrono::seconds> parse_max_runtime(const json& body) {
  if (!body.contains("max_runtime") || body["max_runtime"].is_null()) return std::nullopt;
  const json& v = body["max_runtime"];
  std::int64_t seconds = 0;
  if (v.is_number_integer()) {
    seconds = v.get<std::int64_t>();
  } else if (v.is_string()) {
    try {
      seconds =
          std::chrono::duration_cast<std::chrono::seconds>(parse_duration(v.get<std::string>()))
              .count();
    } catch (const Error& e) {
      reject("max_runtime", e.what());
    }
  } else {
    reject("max_runtime", "must be a number of seconds or a duration such as \"30m\"");
  }
  if (seconds <= 0 || seconds > 366LL * 24 * 3600) {
    reject("max_runtime", "must be between 1 second and 366 days");
  }
  return std::chrono::seconds(seconds);
}

}  // namespace

bool json_depth_within(const std::string& text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

std::optional<UrlParts> parse_http_url(const std::string& url) {
  UrlParts parts;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    parts.scheme = "http";
    parts.port = 80;
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    parts.scheme = "https";
    parts.port = 443;
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  const auto slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  parts.path_and_query = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!parts.path_and_query.empty() && parts.path_and_query.front() != '/') {
    parts.path_and_query = "/" + parts.path_and_query;
  }
  if (auto hash = parts.path_and_query.find('#'); hash != std::string::npos) {
    parts.path_and_query.resize(hash);
  }
  if (authority.find('@') != std::string::npos) return std::nullopt;
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    parts.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    parts.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (parts.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    const unsigned long port = std::stoul(port_text);
    if (port == 0 || port > 65535) return std::nullopt;
    parts.port = static_cast<std::uint16_t>(port);
  }
  return parts;
}

namespace {

// The resource fields of `object`, read by core's reader. Throws InvalidJobDescription
// naming the field.
JobDescription resources_from(const json& object) {
  json subset = json::object();
  for (const char* key : kResourceFields) {
    if (object.contains(key)) subset[key] = object[key];
  }
  return job_description_from_json(subset.dump());
}

}  // namespace

std::vector<std::string> resolved_roots(const std::vector<std::string>& roots) {
  std::vector<std::string> out;
  out.reserve(roots.size());
  for (const auto& root : roots) out.push_back(real_path_or_empty(root));
  return out;
}

JobRequest parse_job_request(const std::string& body_text, const Config& config) {
  const Limits& limits = config.limits;
  if (body_text.size() > limits.max_body_bytes) reject("(body)", "is larger than the limit", 413);
  if (body_text.empty()) reject("(body)", "is empty; a JSON object is required");
  if (!json_depth_within(body_text, limits.max_json_depth)) reject("(body)", "nests too deeply");
  json body = json::parse(body_text, nullptr, false);
  if (body.is_discarded()) reject("(body)", "is not valid JSON (UTF-8)");
  if (!body.is_object()) reject("(body)", "must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    // An empty key must still be named (found by tests/fuzz/fuzz_job_request).
    if (!kKnownFields.count(key)) reject(key.empty() ? "\"\"" : key, "unknown field");
  }

  JobRequest r;
  r.jobdir = text_field(body, "jobdir", limits, true);
  r.executable = text_field(body, "executable", limits, true);
  if (r.executable.empty()) reject("executable", "must not be empty");
  r.arguments = string_list(body, "arguments", limits.max_arguments, limits);
  r.prestaged = string_list(body, "prestaged", limits.max_staged_files, limits);
  r.poststaged = string_list(body, "poststaged", limits.max_staged_files, limits);
  r.stdout_name = text_field(body, "stdout", limits, false);
  r.stderr_name = text_field(body, "stderr", limits, false);
  r.environment = string_map(body, "environment", limits.max_environment, limits);
  r.status_callback_url = text_field(body, "status_callback_url", limits, false);
  r.scheduler = text_field(body, "scheduler", limits, false);
  r.queue = text_field(body, "queue", limits, false);
  r.name = text_field(body, "name", limits, false);
  r.labels = string_map(body, "labels", limits.max_environment, limits);
  r.max_runtime = parse_max_runtime(body);
  if (body.contains("retry_limit") && !body["retry_limit"].is_null()) {
    const json& v = body["retry_limit"];
    if (!v.is_number_integer()) reject("retry_limit", "must be an integer");
    const auto n = v.get<std::int64_t>();
    if (n < 0 || n > 100) reject("retry_limit", "must be between 0 and 100");
    r.retry_limit = static_cast<int>(n);
  }

  try {
    r.resources = resources_from(body);  // the values are checked with the description below
  } catch (const InvalidJobDescription& e) {
    reject(e.field(), e.reason());
  }
  if (r.resources.constraints.size() > limits.max_arguments) {
    reject("constraints", "has more entries than the limit", 413);
  }
  if (r.resources.modules.size() > limits.max_arguments) {
    reject("modules", "has more entries than the limit", 413);
  }

  for (const auto& [key, value] : r.environment) {
    if (key.empty() || !(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_')) {
      reject("environment." + key, "names must match [A-Za-z_][A-Za-z0-9_]*");
    }
    for (char c : key) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        reject("environment." + key, "names must match [A-Za-z_][A-Za-z0-9_]*");
      }
    }
  }
  if (!r.status_callback_url.empty() && !parse_http_url(r.status_callback_url)) {
    reject("status_callback_url", "must be an absolute http:// or https:// URL");
  }
  if (!r.scheduler.empty() && !config.find_scheduler(r.scheduler)) {
    std::string names;
    for (const auto& s : config.schedulers) names += (names.empty() ? "" : ", ") + s.name;
    reject("scheduler", "no scheduler named '" + r.scheduler + "' (configured: " + names + ")");
  }

  r.resolved_jobdir = resolve_jobdir(r.jobdir, config);
  for (std::size_t i = 0; i < r.prestaged.size(); ++i) {
    const std::string field = "prestaged[" + std::to_string(i) + "]";
    r.prestaged[i] = confined(r.prestaged[i], field);
    check_inside_jobdir(r.resolved_jobdir, r.prestaged[i], field);
  }
  for (std::size_t i = 0; i < r.poststaged.size(); ++i) {
    r.poststaged[i] = confined(r.poststaged[i], "poststaged[" + std::to_string(i) + "]");
  }
  if (!r.stdout_name.empty()) r.stdout_name = confined(r.stdout_name, "stdout");
  if (!r.stderr_name.empty()) r.stderr_name = confined(r.stderr_name, "stderr");

  try {
    to_job_description(r, "00000000-0000-0000-0000-000000000000").validate();
  } catch (const InvalidJobDescription& e) {
    reject(e.field(), e.reason());
  }
  return r;
}

json request_to_json(const JobRequest& r) {
  auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json out = json::object();
  out["jobdir"] = r.jobdir;
  out["executable"] = r.executable;
  out["arguments"] = r.arguments;
  out["prestaged"] = r.prestaged;
  out["poststaged"] = r.poststaged;
  out["stdout"] = or_null(r.stdout_name);
  out["stderr"] = or_null(r.stderr_name);
  out["environment"] = r.environment;
  out["status_callback_url"] = or_null(r.status_callback_url);
  if (!r.scheduler.empty()) out["scheduler"] = r.scheduler;
  if (!r.queue.empty()) out["queue"] = r.queue;
  if (r.max_runtime) out["max_runtime"] = r.max_runtime->count();
  if (r.retry_limit) out["retry_limit"] = *r.retry_limit;
  if (!r.name.empty()) out["name"] = r.name;
  if (!r.labels.empty()) out["labels"] = r.labels;
  if (!r.contract.empty()) {
    out["contract"] = {{"name", r.contract}, {"document", r.contract_document}};
  }
  out.update(json::parse(to_json_text(r.resources)));  // only the fields that are set
  return out;
}

json request_to_stored_json(const JobRequest& r) {
  json out = request_to_json(r);
  out["resolved_jobdir"] = r.resolved_jobdir;
  if (r.description) out["contract_description"] = json::parse(to_json_text(*r.description));
  return out;
}

void strip_internal(json& stored) {
  stored.erase("resolved_jobdir");
  stored.erase("contract_description");
}

JobRequest request_from_json(const json& j) {
  JobRequest r;
  auto str = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  r.jobdir = str("jobdir");
  r.executable = str("executable");
  if (j.contains("arguments")) r.arguments = j["arguments"].get<std::vector<std::string>>();
  if (j.contains("prestaged")) r.prestaged = j["prestaged"].get<std::vector<std::string>>();
  if (j.contains("poststaged")) r.poststaged = j["poststaged"].get<std::vector<std::string>>();
  r.stdout_name = str("stdout");
  r.stderr_name = str("stderr");
  if (j.contains("environment")) {
    r.environment = j["environment"].get<std::map<std::string, std::string>>();
  }
  r.status_callback_url = str("status_callback_url");
  r.scheduler = str("scheduler");
  r.queue = str("queue");
  r.name = str("name");
  if (j.contains("labels")) r.labels = j["labels"].get<std::map<std::string, std::string>>();
  if (j.contains("max_runtime"))
    r.max_runtime = std::chrono::seconds(j["max_runtime"].get<int64_t>());
  if (j.contains("retry_limit")) r.retry_limit = j["retry_limit"].get<int>();
  r.resources = resources_from(j);
  r.resolved_jobdir = str("resolved_jobdir");
  if (j.contains("contract") && j["contract"].is_object()) {
    const json& c = j["contract"];
    if (c.contains("name") && c["name"].is_string()) r.contract = c["name"].get<std::string>();
    if (c.contains("document")) r.contract_document = c["document"];
  }
  if (j.contains("contract_description")) {
    r.description = job_description_from_json(j["contract_description"].dump());
  }
  return r;
}

bool is_under(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

JobDescription to_job_description(const JobRequest& r, const std::string& job_id) {
  if (r.description) {
    JobDescription d = *r.description;
    d.name = job_id;
    return d;
  }
  JobDescription d = r.resources;
  d.name = job_id;
  d.executable = r.executable;
  d.arguments = r.arguments;
  d.environment = r.environment;
  d.stdout_path = r.stdout_name;
  d.stderr_path = r.stderr_name;
  d.queue = r.queue;
  d.max_runtime = r.max_runtime;
  d.retry_limit = r.retry_limit.value_or(0);
  d.labels = r.labels;
  const std::string dir = r.resolved_jobdir.empty() ? r.jobdir : r.resolved_jobdir;
  for (const auto& name : r.prestaged) d.stage_in.push_back({dir + "/" + name, name});
  for (const auto& name : r.poststaged) d.stage_out.push_back({name, dir + "/" + name});
  if (!r.stdout_name.empty()) d.stage_out.push_back({r.stdout_name, dir + "/" + r.stdout_name});
  if (!r.stderr_name.empty()) d.stage_out.push_back({r.stderr_name, dir + "/" + r.stderr_name});
  return d;
}

}  // namespace cuttle::rest
