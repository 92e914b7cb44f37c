// The jobs API's JobSpecification (docs/rest.md, "The jobs API"): checked member by
// member, normalised for the echo, resolved through the config (application -> image or
// executable, product -> scheduler and queue) and translated into the JobRequest every
// contract hands JobService. A bad member is a RequestError naming it relative to the item
// ("timeAllocation.hours"); the bulk layer prefixes the item ("items[2].").
// Thread-safety: pure functions over value types.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "bindings/rest/job_request.h"

namespace cuttle::rest::jobs_api {

// The name JobRequest::contract carries for jobs of this contract.
inline constexpr const char* kContract = "jobs-api";

struct Specification {
  nlohmann::json echo;  // every member of the reference's JobSpecification, null when absent
  const JobsApiApplication* application = nullptr;
  const JobsApiProduct* product = nullptr;
  int replicas = 1;
  std::optional<std::chrono::seconds> time_allocation;  // none: the job runs unbounded
};

// Throws RequestError (400) naming the member. `config` outlives the result.
Specification parse_specification(const nlohmann::json& item, const Config& config);

// A SimpleDuration {hours, minutes, seconds}: non-negative integers, together between 1
// second and 366 days. Throws RequestError naming `field` or its member.
std::chrono::seconds parse_simple_duration(const nlohmann::json& value, const std::string& field);

// Checks that `value` is an object whose members are all in `known`; RequestError naming
// `field` (or `field.member` for an unknown member) otherwise.
void expect_members(const nlohmann::json& value, const std::string& field,
                    const std::vector<std::string>& known);
// A string member of at most `max_bytes`; RequestError naming `field` otherwise.
std::string string_member(const nlohmann::json& object, const std::string& key,
                          const std::string& field, std::size_t max_bytes);

// {"createdBy": owner, "project": null}
nlohmann::json owner_json(const std::string& owner);

// The request for copy `rank` (0-based) of `spec.replicas`: the JobDescription (the
// application's command with CUTTLE_REPLICA/CUTTLE_REPLICAS in its environment,
// max_runtime = timeAllocation, the product's queue), the product's scheduler, and the
// contract document (owner, specification, what it resolved to, its rank, and
// "replicaIds": [] — copy 0, whose id is the job's, lists the others' ids there).
JobRequest replica_request(const Specification& spec, const std::string& owner, int rank);

}  // namespace cuttle::rest::jobs_api
