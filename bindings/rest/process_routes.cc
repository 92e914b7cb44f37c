#include "bindings/rest/process_routes.h"

#include "bindings/rest/event_stream.h"
#include "bindings/rest/job_service_helpers.h"
#include "bindings/rest/mac_auth.h"
#include "bindings/rest/process_request.h"
#include "bindings/rest/status_document.h"

namespace cuttle::rest {

using nlohmann::json;

namespace {

constexpr const char* kContract = "process";

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse no_such_job() { return error_response(404, "jobId", "no such job"); }

// The project the caller acts for: the dhi-project-id header, when dhi-open-api-key is one
// of that project's keys. No or an unknown key: 401; a key of another project: 403.
std::string authenticate(const HttpRequest& request, const ProcessConfig& config) {
  const std::string key = request.header("dhi-open-api-key");
  if (key.empty()) throw RequestError(401, "dhi-open-api-key", "an API key is required");
  const std::string digest = sha256_hex(key);
  const std::string project = request.header("dhi-project-id");
  bool known = false;
  bool for_project = false;
  for (const ProcessProject& p : config.projects) {
    for (const std::string& hash : p.key_sha256) {
      if (!constant_time_equal(digest, hash)) continue;
      known = true;
      for_project = for_project || p.id == project;
    }
  }
  if (!known) throw RequestError(401, "dhi-open-api-key", "not a valid API key");
  if (project.empty()) throw RequestError(400, "dhi-project-id", "the project id is required");
  if (!for_project) {
    throw RequestError(403, "dhi-open-api-key", "the key is not valid for project " + project);
  }
  return project;
}

// The contract's state word for Cuttle's state: docs/rest.md has the table.
std::string state_word(const std::string& cuttle_state) {
  if (cuttle_state == "Running" || cuttle_state == "StagingOut") return "Running";
  if (cuttle_state == "Completed") return "Succeeded";
  if (cuttle_state == "Failed" || cuttle_state == "Expired") return "Failed";
  if (cuttle_state == "Cancelled") return "Cancelled";
  if (cuttle_state == "Error") return "Error";
  return "Pending";  // New, StagingIn, Queued
}

json member_or_null(const json& object, const char* key) {
  return object.is_object() && object.contains(key) ? object[key] : json(nullptr);
}

// What GET answers, from the service's document of the job.
json details(const std::string& id, const json& document) {
  const json& contract = document["request"]["contract"]["document"];
  const json& status = document["status"];
  const json& info = status["schedulerSpecficInformation"];
  const std::string cuttle_state = info.value("cuttle.state", "New");
  const json codes = member_or_null(info, "cuttle.step_exit_codes");
  json containers = json::array();
  const json& accepted = contract["request"]["Runtime"]["Containers"];
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    json c = accepted[i];
    c["exitCode"] = codes.is_array() && i < codes.size() ? codes[i] : json(nullptr);
    containers.push_back(std::move(c));
  }
  return {{"jobId", id},
          {"projectId", contract["projectId"]},
          {"state", state_word(cuttle_state)},
          {"cuttleState", cuttle_state},
          {"reason", member_or_null(info, "cuttle.reason")},
          {"exitCode", member_or_null(info, "cuttle.exit_code")},
          {"containers", containers},
          {"retryLimit", contract["request"]["RetryLimit"]},
          {"attempt", info.value("cuttle.attempt", 1)},
          {"createdAt", member_or_null(info, "cuttle.submitted")},
          {"startedAt", member_or_null(info, "cuttle.started")},
          {"finishedAt", member_or_null(info, "cuttle.finished")},
          {"request", contract["request"]}};
}

json event_json(const std::string& id, const EventRow& e) {
  const json status = json::parse(e.status, nullptr, false);
  const json info =
      status.is_object() ? member_or_null(status, "schedulerSpecficInformation") : json(nullptr);
  return {{"jobId", id},
          {"seq", e.seq},
          {"time", format_time(from_millis(e.time_ms))},
          {"state", state_word(e.state)},
          {"cuttleState", e.state},
          {"exitCode", member_or_null(info, "cuttle.exit_code")},
          {"containerExitCodes", member_or_null(info, "cuttle.step_exit_codes")},
          {"reason", member_or_null(info, "cuttle.reason")}};
}

class ProcessApi {
 public:
  explicit ProcessApi(JobService& service) : service_(service) {}

  HttpResponse submit(const HttpRequest& request) {
    const std::string project = authenticate(request, config());
    const std::string id = service_detail::random_uuid();
    ProcessSubmission accepted;
    try {
      accepted = parse_process_request(request.body, project, id, service_.config());
    } catch (const RequestError&) {
      ++service_.metrics().jobs_rejected;
      throw;
    }
    JobRequest job;
    job.id = id;
    job.contract = kContract;
    job.contract_document = {{"projectId", project},
                             {"request", accepted.accepted},
                             {"apiVersion", request.header("api-version")},
                             {"serviceId", request.header("dhi-service-id")}};
    job.description = std::move(accepted.description);
    job.scheduler = config().scheduler;
    for (const ProcessProject& p : config().projects) {
      if (p.id == project) job.status_callback_url = p.webhook_url;
    }
    service_.submit(job);
    return json_response(200, dump({{"jobId", id}}));
  }

  HttpResponse get(const HttpRequest& request, const std::string& id) {
    auto document = owned(id, authenticate(request, config()));
    return document ? json_response(200, dump(details(id, *document))) : no_such_job();
  }

  // Cancelling a finished job, or one already cancelled, does nothing (the reference).
  HttpResponse cancel(const HttpRequest& request, const std::string& id) {
    if (!owned(id, authenticate(request, config()))) return no_such_job();
    auto after = service_.cancel(id, false);
    if (!after) return no_such_job();
    return json_response(200, dump(details(id, json::parse(*after))));
  }

  HttpResponse events(const HttpRequest& request, const std::string& id) {
    if (!owned(id, authenticate(request, config()))) return no_such_job();
    auto history = service_.events(id, 0);
    if (!history) return no_such_job();
    auto render = [id](const EventRow& e) { return event_json(id, e); };
    if (!wants_event_stream(request)) {
      json list = json::array();
      for (const auto& e : *history) list.push_back(render(e));
      return json_response(200, dump({{"jobId", id}, {"events", list}}));
    }
    return event_stream_response(service_, id, std::move(*history), "job", render);
  }

 private:
  const ProcessConfig& config() const { return service_.config().process; }

  // The service's document of job `id` when it is a job of this contract and `project`;
  // a job of another project or contract is not found, as if it did not exist.
  std::optional<json> owned(const std::string& id, const std::string& project) {
    auto text = service_.document(id);
    if (!text) return std::nullopt;
    json document = json::parse(*text, nullptr, false);
    if (!document.is_object()) return std::nullopt;
    const json& contract = document["request"]["contract"];
    if (!contract.is_object() || contract.value("name", "") != kContract ||
        contract["document"].value("projectId", "") != project) {
      return std::nullopt;
    }
    return document;
  }

  JobService& service_;
};

}  // namespace

void add_process_routes(HttpApi& api, JobService& service) {
  if (!service.config().process.enabled) return;
  api.authenticates_itself(kProcessPathPrefix);
  auto process = std::make_shared<ProcessApi>(service);
  using Params = Router::Params;
  auto with_id = [process](auto method) {
    return [process, method](const HttpRequest& request, const Params& params) {
      if (!valid_job_id(params.at(0))) return no_such_job();
      return method(*process, request, params.at(0));
    };
  };
  Router& router = api.router();
  router.add("POST", "/api/process/job", [process](const HttpRequest& request, const Params&) {
    return process->submit(request);
  });
  router.add("GET", "/api/process/job/{}",
             with_id([](ProcessApi& p, const HttpRequest& request, const std::string& id) {
               return p.get(request, id);
             }));
  router.add("PUT", "/api/process/job/{}/cancel",
             with_id([](ProcessApi& p, const HttpRequest& request, const std::string& id) {
               return p.cancel(request, id);
             }));
  router.add("GET", "/api/process/job/{}/events",
             with_id([](ProcessApi& p, const HttpRequest& request, const std::string& id) {
               return p.events(request, id);
             }));
}

}  // namespace cuttle::rest
