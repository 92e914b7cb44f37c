// The joblauncher contract and its backward-compatible additions, as routes on the
// service's Router: POST/GET /job, GET/DELETE /job/{id}, PUT /job/{id}/cancel,
// POST /job/{id}/extend, GET /job/{id}/events (JSON, or Server-Sent Events).
// Thread-safety: the handlers run concurrently on the server's workers; they share only
// JobService.
#pragma once

#include "bindings/rest/http_router.h"
#include "bindings/rest/job_service.h"

namespace cuttle::rest {

void add_joblauncher_routes(Router& router, JobService& service);

}  // namespace cuttle::rest
