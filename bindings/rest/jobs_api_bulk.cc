#include "bindings/rest/jobs_api_bulk.h"

#include <optional>

#include "bindings/rest/http_api.h"
#include "bindings/rest/job_request.h"
#include "bindings/rest/store_errors.h"
#include "cuttle/error.h"

namespace cuttle::rest::jobs_api {

using nlohmann::json;

namespace {

struct Failure {
  std::size_t index = 0;
  int status = 400;
  std::string field;
  std::string reason;
  long retry_after = 0;  // seconds; 0: none
};

std::string item_field(std::size_t index, const std::string& field) {
  const std::string item = "items[" + std::to_string(index) + "]";
  return field.empty() ? item : item + "." + field;
}

// The item's answer, or why it failed. Client errors and a store outage are the item's;
// anything else is the service's own failure and fails the request (a 500).
std::optional<Failure> answer(const json& item, std::size_t index, const ItemHandler& handle,
                              json& response) {
  try {
    response = handle(item);
    return std::nullopt;
  } catch (const RequestError& e) {
    return Failure{index, e.status(), item_field(index, e.field()), e.reason()};
  } catch (const InvalidJobDescription& e) {
    return Failure{index, 400, item_field(index, e.field()), e.reason()};
  } catch (const NoSuchJob& e) {
    return Failure{index, 404, item_field(index, "id"), e.what()};
  } catch (const StoreUnavailable& e) {
    return Failure{index, 503, "(store)", e.what(), e.retry_after_seconds()};
  }
}

json items_of(const std::string& body, const Config& config) {
  if (!json_depth_within(body, config.limits.max_json_depth)) {
    throw RequestError(400, "(body)", "nests too deeply");
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw RequestError(400, "(body)", "must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "items") throw RequestError(400, key, "unknown member (valid: items)");
  }
  if (!j.contains("items") || !j["items"].is_array() || j["items"].empty()) {
    throw RequestError(400, "items", "must be a non-empty list");
  }
  if (j["items"].size() > config.jobs_api.max_items) {
    throw RequestError(413, "items",
                       "at most " + std::to_string(config.jobs_api.max_items) + " per request");
  }
  return std::move(j["items"]);
}

}  // namespace

HttpResponse run_bulk(const std::string& body, const Config& config, const ItemHandler& handle) {
  const json items = items_of(body, config);
  json responses = json::array();
  std::vector<Failure> failures;
  for (std::size_t i = 0; i < items.size(); ++i) {
    json response;
    if (auto failure = answer(items[i], i, handle, response)) {
      failures.push_back(std::move(*failure));
      response = nullptr;
    }
    responses.push_back(std::move(response));
  }
  json out = {{"responses", responses}};
  if (failures.empty()) return json_response(200, out.dump());
  json listed = json::array();
  for (const auto& f : failures) {
    listed.push_back({{"index", f.index},
                      {"status", f.status},
                      {"error", reason_phrase(f.status)},
                      {"field", f.field},
                      {"reason", f.reason}});
  }
  const Failure& first = failures.front();
  out["failures"] = listed;
  out["error"] = reason_phrase(first.status);
  out["field"] = first.field;
  out["reason"] = first.reason;
  const int status = failures.size() < items.size() ? 207 : first.status;
  HttpResponse response =
      json_response(status, out.dump(-1, ' ', false, json::error_handler_t::replace));
  if (first.retry_after > 0) response.set("Retry-After", std::to_string(first.retry_after));
  return response;
}

}  // namespace cuttle::rest::jobs_api
