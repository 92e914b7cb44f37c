// The jobs API with time allocations (shared/reference/001_*; docs/rest.md, "The jobs
// API"), as routes on the service's Router: POST /api/jobs (create), GET
// /api/jobs/retrieve, POST /api/jobs/extend, POST /api/jobs/terminate. A thin translation
// over JobService: each JobSpecification becomes one JobRequest per replica (contract
// "jobs-api"), and the Job document is rendered from the stored documents and journals.
// Jobs belong to the caller's bearer token: another caller's job is a 404.
// Thread-safety: the handlers run concurrently on the server's workers; they share only
// JobService and the config.
#pragma once

#include "bindings/rest/http_router.h"
#include "bindings/rest/job_service.h"

namespace cuttle::rest {

void add_jobs_api_routes(Router& router, JobService& service);

}  // namespace cuttle::rest
