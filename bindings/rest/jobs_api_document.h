// The jobs API's Job document (docs/rest.md, "The jobs API"), rendered from what the one
// job store holds for each copy of the job: its status document (the contract document
// echoed in request.contract.document) and its journal. The state words and the `updates`
// history are derived from the journals, so every reader at any time renders the same
// history; a job of several copies reads as one (IN_QUEUE until every copy has started,
// RUNNING while any runs, final when all are).
// Thread-safety: pure functions over value types.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/rest/job_store.h"

namespace cuttle::rest::jobs_api {

struct Replica {
  nlohmann::json document;       // JobService::document(id), parsed
  std::vector<EventRow> events;  // JobService::events(id, 0)
};

// What GET /api/jobs/retrieve's include flags add to `status`.
struct Include {
  bool application = false;  // status.resolvedApplication
  bool product = false;      // status.resolvedProduct
};

// The Job. `replicas[0]` is the copy whose id is the job's.
// REQUIRES: !replicas.empty(), each document a jobs-api job's.
nlohmann::json render_job(const std::string& id, const std::vector<Replica>& replicas,
                          const Include& include);

// The contract document of a jobs-api status document; null when `document` is another
// contract's job (or not a status document at all).
const nlohmann::json* contract_document(const nlohmann::json& document);

}  // namespace cuttle::rest::jobs_api
