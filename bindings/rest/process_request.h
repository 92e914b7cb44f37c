// The body of POST /api/process/job (the container job service contract, reference
// 000): member names matched case-insensitively, checked, and translated into the
// JobDescription the one job lifecycle runs — Containers become steps sharing /work,
// platform inputs stage-in entries, platform outputs (and every container's logs)
// stage-out entries under the project's platform directory. docs/rest.md.
// Thread-safety: pure functions over value types (they read the platform directory).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "cuttle/job_description.h"

namespace cuttle::rest {

// Where a job's container logs are in its sandbox, and under which name they reach the
// platform (`<output location>/logs/<job id>/...`).
std::string process_log_name(std::size_t container, bool stderr_log);

struct ProcessSubmission {
  // The request as accepted, member names as the reference writes them, RetryLimit as
  // a number: what GET echoes.
  nlohmann::json accepted;
  JobDescription description;
};

// Throws RequestError naming the field: 400 for what is malformed, 403 for an input
// location of a project the caller may not read, 413 past the configured limits.
// `project` is the caller's (authenticated) project; `job_id` names the log directory.
ProcessSubmission parse_process_request(const std::string& body, const std::string& project,
                                        const std::string& job_id, const Config& config);

// The reference's first example ends an object with a comma; a comma before a closing
// bracket (outside strings) is dropped so that example is accepted as written.
std::string without_trailing_commas(const std::string& text);

}  // namespace cuttle::rest
