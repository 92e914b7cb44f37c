#include "bindings/rest/jobs_api_spec.h"

#include <algorithm>

namespace cuttle::rest::jobs_api {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxSeconds = 366LL * 24 * 3600;

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

bool absent(const json& object, const std::string& key) {
  return !object.contains(key) || object[key].is_null();
}

// A member the service does not support: accepted only as null (or an empty list/object,
// or false), so a client that asks for it is told instead of silently ignored.
void refuse_unless_empty(const json& item, const std::string& key, const std::string& why) {
  if (absent(item, key)) return;
  const json& v = item[key];
  const bool empty =
      (v.is_boolean() && !v.get<bool>()) || ((v.is_array() || v.is_object()) && v.empty());
  if (!empty) throw RequestError(400, key, "is not supported by this service: " + why);
}

bool optional_bool(const json& item, const std::string& key) {
  if (absent(item, key)) return false;
  if (!item[key].is_boolean()) throw RequestError(400, key, "must be true, false or null");
  return item[key].get<bool>();
}

// {"name", "version"} -> the configured application.
const JobsApiApplication& resolve_application(const json& item, const Config& config) {
  if (absent(item, "application")) throw RequestError(400, "application", "is required");
  const json& a = item["application"];
  expect_members(a, "application", {"name", "version"});
  const std::size_t max = config.limits.max_string_bytes;
  const std::string name = string_member(a, "name", "application.name", max);
  const std::string version = string_member(a, "version", "application.version", max);
  const auto* found = config.jobs_api.find_application(name, version);
  if (!found) {
    std::vector<std::string> known;
    for (const auto& app : config.jobs_api.applications)
      known.push_back(app.name + "@" + app.version);
    throw RequestError(400, "application",
                       "no application '" + name + "' version '" + version +
                           "' is configured (known: " + (known.empty() ? "none" : join(known)) +
                           ")");
  }
  return *found;
}

// {"category", "id", "provider"} -> the configured product.
const JobsApiProduct& resolve_product(const json& item, const Config& config) {
  if (absent(item, "product")) throw RequestError(400, "product", "is required");
  const json& p = item["product"];
  expect_members(p, "product", {"category", "id", "provider"});
  const std::size_t max = config.limits.max_string_bytes;
  const std::string category = string_member(p, "category", "product.category", max);
  const std::string id = string_member(p, "id", "product.id", max);
  const std::string provider = string_member(p, "provider", "product.provider", max);
  const auto* found = config.jobs_api.find_product(category, id, provider);
  if (!found) {
    std::vector<std::string> known;
    for (const auto& prod : config.jobs_api.products) {
      known.push_back(prod.category + "/" + prod.id + "/" + prod.provider);
    }
    throw RequestError(400, "product",
                       "no product " + category + "/" + id + "/" + provider +
                           " is configured (known: " + (known.empty() ? "none" : join(known)) +
                           ")");
  }
  return *found;
}

int parse_replicas(const json& item, const Config& config) {
  if (absent(item, "replicas")) return 1;
  const json& v = item["replicas"];
  const auto max = static_cast<std::int64_t>(config.jobs_api.max_replicas);
  if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > max) {
    throw RequestError(400, "replicas", "must be an integer from 1 to " + std::to_string(max));
  }
  return static_cast<int>(v.get<std::int64_t>());
}

json application_json(const JobsApiApplication& app) {
  json out = {{"name", app.name},
              {"version", app.version},
              {"executable", app.executable},
              {"arguments", app.arguments}};
  out["image"] = app.image.empty() ? json(nullptr) : json(app.image);
  return out;
}

json product_json(const JobsApiProduct& p) {
  return {{"category", p.category},
          {"id", p.id},
          {"provider", p.provider},
          {"scheduler", p.scheduler},
          {"queue", p.queue.empty() ? json(nullptr) : json(p.queue)}};
}

}  // namespace

void expect_members(const json& value, const std::string& field,
                    const std::vector<std::string>& known) {
  if (!value.is_object()) throw RequestError(400, field, "must be an object");
  for (const auto& [key, member] : value.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw RequestError(400, field.empty() ? key : field + "." + key,
                         "unknown member (valid: " + join(known) + ")");
    }
  }
}

std::string string_member(const json& object, const std::string& key, const std::string& field,
                          std::size_t max_bytes) {
  if (!object.contains(key) || !object[key].is_string()) {
    throw RequestError(400, field, "must be a string");
  }
  std::string text = object[key].get<std::string>();
  if (text.empty() || text.size() > max_bytes) {
    throw RequestError(400, field, "must be 1 to " + std::to_string(max_bytes) + " bytes");
  }
  if (text.find('\0') != std::string::npos) throw RequestError(400, field, "contains a NUL byte");
  return text;
}

std::chrono::seconds parse_simple_duration(const json& value, const std::string& field) {
  expect_members(value, field, {"hours", "minutes", "seconds"});
  std::int64_t total = 0;
  for (const auto& [unit, factor] :
       {std::pair<const char*, std::int64_t>{"hours", 3600}, {"minutes", 60}, {"seconds", 1}}) {
    if (!value.contains(unit)) continue;
    const json& v = value[unit];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
        v.get<std::int64_t>() > kMaxSeconds / factor) {
      throw RequestError(400, field + "." + unit, "must be a non-negative integer");
    }
    total += v.get<std::int64_t>() * factor;
  }
  if (total < 1 || total > kMaxSeconds) {
    throw RequestError(400, field, "must be between 1 second and 366 days in total");
  }
  return std::chrono::seconds(total);
}

Specification parse_specification(const json& item, const Config& config) {
  static const std::vector<std::string> kMembers = {
      "application",       "product",       "name",      "replicas",
      "allowDuplicateJob", "parameters",    "resources", "timeAllocation",
      "openedFile",        "restartOnExit", "sshEnabled"};
  expect_members(item, "", kMembers);
  Specification spec;
  spec.application = &resolve_application(item, config);
  spec.product = &resolve_product(item, config);
  if (!absent(item, "name")) string_member(item, "name", "name", config.limits.max_string_bytes);
  spec.replicas = parse_replicas(item, config);
  optional_bool(item, "allowDuplicateJob");
  refuse_unless_empty(item, "parameters",
                      "an application's arguments are fixed in the service's config");
  refuse_unless_empty(item, "resources", "jobs get no mounted resources");
  if (!absent(item, "openedFile")) {
    throw RequestError(400, "openedFile", "is not supported by this service: no file browser");
  }
  if (optional_bool(item, "restartOnExit")) {
    throw RequestError(400, "restartOnExit", "is not supported by this service: jobs run once");
  }
  if (optional_bool(item, "sshEnabled")) {
    throw RequestError(400, "sshEnabled", "is not supported by this service: no SSH into jobs");
  }
  if (!absent(item, "timeAllocation")) {
    spec.time_allocation = parse_simple_duration(item["timeAllocation"], "timeAllocation");
  }
  // The echo: every member the reference shows, in its form, null where not given.
  spec.echo = json::object();
  for (const auto& key : kMembers) spec.echo[key] = item.contains(key) ? item[key] : json(nullptr);
  spec.echo["replicas"] = spec.replicas;
  return spec;
}

json owner_json(const std::string& owner) { return {{"createdBy", owner}, {"project", nullptr}}; }

JobRequest replica_request(const Specification& spec, const std::string& owner, int rank) {
  const JobsApiApplication& app = *spec.application;
  JobDescription d;
  d.executable = app.executable;
  d.arguments = app.arguments;
  d.environment = app.environment;
  d.environment["CUTTLE_REPLICA"] = std::to_string(rank);
  d.environment["CUTTLE_REPLICAS"] = std::to_string(spec.replicas);
  d.container_image = app.image;
  d.queue = spec.product->queue;
  d.max_runtime = spec.time_allocation;
  JobRequest request;
  request.scheduler = spec.product->scheduler;
  request.queue = spec.product->queue;
  request.max_runtime = spec.time_allocation;
  request.contract = kContract;
  request.contract_document = {{"owner", owner_json(owner)},
                               {"specification", spec.echo},
                               {"resolvedApplication", application_json(app)},
                               {"resolvedProduct", product_json(*spec.product)},
                               {"replica", rank},
                               {"replicaIds", json::array()}};
  request.description = std::move(d);
  return request;
}

}  // namespace cuttle::rest::jobs_api
