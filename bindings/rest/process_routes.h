// The container job service contract (reference 000, issue 13 part 1) as routes on the
// service's Router, a thin translation over JobService: POST /api/process/job,
// GET /api/process/job/{jobId}, PUT /api/process/job/{jobId}/cancel and
// GET /api/process/job/{jobId}/events (JSON, or Server-Sent Events). Callers are
// authenticated by the dhi-project-id and dhi-open-api-key headers (config "process"),
// not by the service's bearer tokens. docs/rest.md, "The container job service".
// Thread-safety: the handlers run concurrently on the server's workers; they share only
// JobService.
#pragma once

#include "bindings/rest/http_api.h"
#include "bindings/rest/job_service.h"

namespace cuttle::rest {

// The path prefix these routes authenticate themselves ("/api/process/").
inline constexpr const char* kProcessPathPrefix = "/api/process/";

// Registers the routes and exempts their prefix from the bearer check; does nothing when
// the config has no "process" section.
void add_process_routes(HttpApi& api, JobService& service);

}  // namespace cuttle::rest
