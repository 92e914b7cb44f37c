#include "bindings/rest/jobs_api_routes.h"

#include <cctype>
#include <future>

#include "bindings/rest/http_api.h"
#include "bindings/rest/jobs_api_bulk.h"
#include "bindings/rest/jobs_api_document.h"
#include "bindings/rest/jobs_api_retrieve.h"
#include "bindings/rest/jobs_api_spec.h"
#include "cuttle/error.h"

namespace cuttle::rest {

using nlohmann::json;

namespace {

using jobs_api::Replica;

// Ids are the service's UUIDs; anything else names no job.
bool is_uuid(const std::string& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !std::isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

class JobsApi {
 public:
  explicit JobsApi(JobService& service) : service_(service) {}

  HttpResponse create(const HttpRequest& request) {
    const std::string caller = caller_of(request, service_.config());
    return jobs_api::run_bulk(request.body, service_.config(),
                              [&](const json& item) { return create_one(item, caller); });
  }

  HttpResponse retrieve(const HttpRequest& request) {
    const auto query = jobs_api::parse_retrieve_query(query_of(request));
    const auto copies = load(query.id, caller_of(request, service_.config()), "id");
    json job = jobs_api::render_job(query.id, copies, query.include);
    if (!jobs_api::matches(query, job)) throw RequestError(404, "id", "no such job");
    return json_response(200, job.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  HttpResponse extend(const HttpRequest& request) {
    const std::string caller = caller_of(request, service_.config());
    return jobs_api::run_bulk(request.body, service_.config(), [&](const json& item) {
      jobs_api::expect_members(item, "", {"jobId", "requestedTime"});
      const std::string id = jobs_api::string_member(item, "jobId", "jobId", 64);
      if (!item.contains("requestedTime")) throw RequestError(400, "requestedTime", "is required");
      const auto by = jobs_api::parse_simple_duration(item["requestedTime"], "requestedTime");
      // Every copy still running gets the time; copies that already ended are skipped.
      std::size_t extended = 0;
      for (const auto& copy : owned(id, caller, "jobId").ids) {
        if (service_.is_final(copy)) continue;
        try {
          service_.extend(copy, by);
          ++extended;
        } catch (const RequestError& e) {
          throw RequestError(e.status(), e.field() == "id" ? "jobId" : "requestedTime", e.reason());
        }
      }
      if (extended == 0) throw RequestError(409, "jobId", "job is done");
      return json::object();
    });
  }

  HttpResponse terminate(const HttpRequest& request) {
    const std::string caller = caller_of(request, service_.config());
    return jobs_api::run_bulk(request.body, service_.config(), [&](const json& item) {
      jobs_api::expect_members(item, "", {"id"});
      const std::string id = jobs_api::string_member(item, "id", "id", 64);
      // Copies stop in parallel: each cancel waits (bounded) for its copy to stop.
      std::vector<std::future<std::optional<std::string>>> stopping;
      for (const auto& copy : owned(id, caller, "id").ids) {
        stopping.push_back(
            std::async(std::launch::async, [this, copy] { return service_.cancel(copy, false); }));
      }
      for (auto& f : stopping) f.get();
      return json::object();
    });
  }

 private:
  // Copies N-1..1 first, then copy 0, which lists them: the job's id answers for all.
  json create_one(const json& item, const std::string& caller) {
    const auto spec = jobs_api::parse_specification(item, service_.config());
    std::vector<JobRequest> requests;
    for (int rank = 0; rank < spec.replicas; ++rank) {
      requests.push_back(jobs_api::replica_request(spec, caller, rank));
      try {
        requests.back().description->validate();
      } catch (const InvalidJobDescription& e) {
        throw RequestError(400, "application", "its configured " + e.field() + " " + e.reason());
      }
    }
    std::vector<std::string> others;
    for (int rank = spec.replicas - 1; rank >= 1; --rank) {
      others.insert(others.begin(), submit(requests[rank]));
    }
    requests[0].contract_document["replicaIds"] = others;
    return {{"id", submit(requests[0])}};
  }

  std::string submit(const JobRequest& request) {
    try {
      return service_.submit(request);
    } catch (const RequestError& e) {
      // The service checks the configured command (a local executable must exist).
      throw RequestError(e.status(), "application",
                         "its configured " + e.field() + " " + e.reason());
    }
  }

  // The caller's job `id`: its copies' ids (copy 0's first) and copy 0's status document.
  struct OwnedJob {
    std::vector<std::string> ids;
    json document;
  };
  // 404 naming `field` for a job that is not there, not the caller's, or not a jobs-api
  // job: whether such an id exists is not revealed.
  OwnedJob owned(const std::string& id, const std::string& caller, const std::string& field) {
    OwnedJob job{{id}, json()};
    const json* contract = nullptr;
    if (is_uuid(id)) {
      if (auto text = service_.document(id)) job.document = json::parse(*text, nullptr, false);
      contract = jobs_api::contract_document(job.document);
    }
    if (!contract || contract->value("replica", -1) != 0 || at_created_by(*contract) != caller) {
      throw RequestError(404, field, "no such job");
    }
    for (const auto& other : contract->value("replicaIds", json::array())) {
      if (other.is_string()) job.ids.push_back(other.get<std::string>());
    }
    return job;
  }

  // Each copy's document, then its journal (read after it, so never older than it).
  std::vector<Replica> load(const std::string& id, const std::string& caller,
                            const std::string& field) {
    OwnedJob job = owned(id, caller, field);
    std::vector<Replica> copies;
    for (std::size_t i = 0; i < job.ids.size(); ++i) {
      json document = std::move(job.document);
      if (i > 0) {
        auto text = service_.document(job.ids[i]);
        // A copy removed by retention while its job is read: the job is going away too.
        if (!text) throw RequestError(404, field, "no such job");
        document = json::parse(*text, nullptr, false);
      }
      auto events = service_.events(job.ids[i], 0);
      if (!events) throw RequestError(404, field, "no such job");
      copies.push_back({std::move(document), std::move(*events)});
    }
    return copies;
  }

  static std::string at_created_by(const json& contract) {
    if (!contract.contains("owner") || !contract["owner"].is_object()) return {};
    return contract["owner"].value("createdBy", "");
  }

  JobService& service_;
};

}  // namespace

void add_jobs_api_routes(Router& router, JobService& service) {
  auto api = std::make_shared<JobsApi>(service);
  using Params = Router::Params;
  router.add("POST", "/api/jobs",
             [api](const HttpRequest& request, const Params&) { return api->create(request); });
  router.add("GET", "/api/jobs/retrieve",
             [api](const HttpRequest& request, const Params&) { return api->retrieve(request); });
  router.add("POST", "/api/jobs/extend",
             [api](const HttpRequest& request, const Params&) { return api->extend(request); });
  router.add("POST", "/api/jobs/terminate",
             [api](const HttpRequest& request, const Params&) { return api->terminate(request); });
}

}  // namespace cuttle::rest
