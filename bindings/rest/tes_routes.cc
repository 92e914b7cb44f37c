#include "bindings/rest/tes_routes.h"

#include <algorithm>
#include <filesystem>

#include "bindings/rest/http_api.h"
#include "bindings/rest/job_service_helpers.h"
#include "bindings/rest/tes_task.h"
#include "cuttle/version.h"

namespace cuttle::rest {

using nlohmann::json;

namespace {

constexpr const char* kBase = "/ga4gh/tes/v1";
constexpr std::size_t kDefaultPageSize = 256;
constexpr std::size_t kMaxPageSize = 2047;  // "must be less than 2048"
// Jobs looked at per list request when filters match few: the page may come back short,
// with a next_page_token to go on from.
constexpr std::size_t kScanBudget = 5000;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse no_such_task() { return error_response(404, "id", "no such task"); }

const std::vector<std::string> kStates = {"UNKNOWN",  "QUEUED",    "INITIALIZING",   "RUNNING",
                                          "PAUSED",   "COMPLETE",  "EXECUTOR_ERROR", "SYSTEM_ERROR",
                                          "CANCELED", "PREEMPTED", "CANCELING"};

struct ListFilter {
  std::string name_prefix;  // applied by the store (JobService::list_contract)
  std::string state;
  std::vector<std::pair<std::string, std::string>> tags;  // value "" matches any value

  // State and tags, read from a task rendered BASIC.
  bool matches(const json& task) const {
    if (!state.empty() && task.value("state", std::string()) != state) return false;
    const json tags_of = task.value("tags", json::object());
    for (const auto& [key, value] : tags) {
      if (!tags_of.contains(key)) return false;
      if (!value.empty() && tags_of[key] != value) return false;
    }
    return true;
  }
};

class Tes {
 public:
  explicit Tes(JobService& service) : service_(service) {}

  HttpResponse service_info(const HttpRequest& request) {
    const Config& config = service_.config();
    json storage = json::array();
    for (const auto& root : config.tes.roots) storage.push_back("file://" + root);
    json info = {{"id", "org.cuttle.tes"},
                 {"name", "Cuttle"},
                 {"type", {{"group", "org.ga4gh"}, {"artifact", "tes"}, {"version", "1.1.0"}}},
                 {"description",
                  "GA4GH TES over Cuttle's schedulers (local, ssh, slurm, torque, kubernetes)"},
                 {"organization", {{"name", "Cuttle"}, {"url", base_url(request, config)}}},
                 {"documentationUrl", base_url(request, config) + "/openapi.json"},
                 {"version", kVersion},
                 {"storage", storage},
                 {"tesResources_backend_parameters", {"max_runtime", "retry_limit", "scheduler"}}};
    return json_response(200, dump(info));
  }

  HttpResponse create(const HttpRequest& request) {
    const std::string staging = service_detail::random_uuid();
    JobRequest job;
    try {
      job = tes::parse_tes_task(request.body, service_.config(), staging);
    } catch (const RequestError&) {
      ++service_.metrics().jobs_rejected;
      throw;
    }
    try {
      return json_response(200, dump(json{{"id", service_.submit(job)}}));
    } catch (...) {
      std::error_code ec;
      std::filesystem::remove_all(job.contract_document.value("staging", std::string()), ec);
      throw;
    }
  }

  HttpResponse get(const HttpRequest& request, const std::string& id) {
    const tes::View view = tes::parse_view(query_of(request).get("view"));
    auto task = render(id, view);
    return task ? json_response(200, dump(*task)) : no_such_task();
  }

  HttpResponse cancel(const std::string& id) {
    if (!service_.cancel(id, false)) return no_such_task();
    return json_response(200, "{}");
  }

  HttpResponse list(const HttpRequest& request) {
    const Query query = query_of(request);
    const tes::View view = tes::parse_view(query.get("view"));
    const ListFilter filter = filter_of(query);
    const std::size_t page_size = page_size_of(query.get("page_size"));
    std::string token = query.get("page_token");
    json tasks = json::array();
    std::string next;
    std::size_t scanned = 0;
    while (true) {
      // The store keeps TES's tasks and the name prefix; state and tags are read from
      // each task (BASIC has them).
      const auto page =
          service_.list_contract("tes", filter.name_prefix, page_size - tasks.size(), token);
      for (const auto& id : page.ids) {
        ++scanned;
        auto task = render(id, filter.tags.empty() && filter.state.empty()
                                   ? view
                                   : std::max(view, tes::View::kBasic));
        if (task && filter.matches(*task)) tasks.push_back(view_of(std::move(*task), view));
      }
      token = page.next_token;
      if (token.empty()) break;
      if (tasks.size() == page_size || scanned >= kScanBudget) {
        next = token;
        break;
      }
    }
    json out = {{"tasks", tasks}};
    if (!next.empty()) out["next_page_token"] = next;
    return json_response(200, dump(out));
  }

 private:
  std::optional<json> render(const std::string& id, tes::View view) {
    auto text = service_.document(id);
    if (!text) return std::nullopt;
    const json document = json::parse(*text, nullptr, false);
    if (!document.is_object()) return std::nullopt;
    std::vector<EventRow> events;
    if (view != tes::View::kMinimal) {
      if (auto rows = service_.events(id, 0)) events = std::move(*rows);
    }
    return tes::render_task(id, document, events, view, service_.config());
  }

  // A task rendered BASIC for filtering, cut down to the view asked for.
  static json view_of(json task, tes::View view) {
    if (view != tes::View::kMinimal) return task;
    return {{"id", task["id"]}, {"state", task["state"]}};
  }

  static ListFilter filter_of(const Query& query) {
    ListFilter filter;
    filter.name_prefix = query.get("name_prefix");
    filter.state = query.get("state");
    if (!filter.state.empty() &&
        std::find(kStates.begin(), kStates.end(), filter.state) == kStates.end()) {
      throw RequestError(400, "state", "must be one of the tesState values (QUEUED, ...)");
    }
    std::vector<std::string> keys;
    std::vector<std::string> values;
    for (auto [it, end] = query.values.equal_range("tag_key"); it != end; ++it) {
      keys.push_back(it->second);
    }
    for (auto [it, end] = query.values.equal_range("tag_value"); it != end; ++it) {
      values.push_back(it->second);
    }
    if (values.size() > keys.size()) {
      throw RequestError(400, "tag_value", "has more entries than tag_key");
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
      filter.tags.emplace_back(keys[i], i < values.size() ? values[i] : std::string());
    }
    return filter;
  }

  static std::size_t page_size_of(const std::string& text) {
    if (text.empty()) return kDefaultPageSize;
    if (text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(text) == 0 || std::stoul(text) > kMaxPageSize) {
      throw RequestError(400, "page_size", "must be an integer between 1 and 2047");
    }
    return std::stoul(text);
  }

  JobService& service_;
};

}  // namespace

void add_tes_routes(Router& router, JobService& service) {
  auto api = std::make_shared<Tes>(service);
  using Params = Router::Params;
  const std::string base = kBase;
  router.add("GET", base + "/service-info", [api](const HttpRequest& request, const Params&) {
    return api->service_info(request);
  });
  router.add("GET", base + "/tasks",
             [api](const HttpRequest& request, const Params&) { return api->list(request); });
  router.add("POST", base + "/tasks",
             [api](const HttpRequest& request, const Params&) { return api->create(request); });
  // Before "{}": the custom method ":cancel" is part of the same segment.
  router.add("POST", base + "/tasks/{}:cancel", [api](const HttpRequest&, const Params& params) {
    return valid_job_id(params.at(0)) ? api->cancel(params.at(0)) : no_such_task();
  });
  router.add("GET", base + "/tasks/{}", [api](const HttpRequest& request, const Params& params) {
    return valid_job_id(params.at(0)) ? api->get(request, params.at(0)) : no_such_task();
  });
}

}  // namespace cuttle::rest
