// GA4GH TES v1.1 as routes on the service's Router, a thin translation over JobService:
// GET /ga4gh/tes/v1/service-info, GET|POST /ga4gh/tes/v1/tasks,
// GET /ga4gh/tes/v1/tasks/{id}?view=, POST /ga4gh/tes/v1/tasks/{id}:cancel.
// A task id is the Cuttle job id; docs/rest.md ("GA4GH TES") has the mapping tables.
// Thread-safety: the handlers run concurrently on the server's workers; they share only
// JobService (and each task's own staging directory).
#pragma once

#include "bindings/rest/http_router.h"
#include "bindings/rest/job_service.h"

namespace cuttle::rest {

void add_tes_routes(Router& router, JobService& service);

}  // namespace cuttle::rest
