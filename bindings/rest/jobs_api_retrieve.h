// GET /api/jobs/retrieve's query: the job's id and the reference's JobIncludeFlags, checked
// one by one (a bad value or an unknown name is a 400 naming it). Filters make a job that
// does not match them a 404, as if it were not there; `include*` flags add to `status`.
// Thread-safety: pure functions over value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/rest/http_api.h"
#include "bindings/rest/jobs_api_document.h"

namespace cuttle::rest::jobs_api {

struct RetrieveQuery {
  std::string id;
  Include include;
  std::optional<std::string> state;  // filterState
  std::optional<std::string> created_by;
  std::optional<std::string> application;  // filterApplication: the application's name
  std::optional<std::string> product_category;
  std::optional<std::string> product_id;
  std::optional<std::string> provider;
  std::optional<std::int64_t> created_after;  // epoch milliseconds, inclusive
  std::optional<std::int64_t> created_before;
  std::optional<std::vector<std::string>> ids;  // filterIds / filterProviderIds: comma lists
};

// Throws RequestError (400) naming the parameter.
RetrieveQuery parse_retrieve_query(const Query& query);

// Whether the rendered Job passes every filter of `query`.
bool matches(const RetrieveQuery& query, const nlohmann::json& job);

}  // namespace cuttle::rest::jobs_api
