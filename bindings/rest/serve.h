// Entry point of `cuttle serve`: the joblauncher-compatible REST service.
// Thread-safety: call once per process, from the main thread.
#pragma once

#include <string>
#include <vector>

#include "bindings/rest/job_service.h"

namespace cuttle::rest {

// `args` are what follows `cuttle serve`: [--config FILE] [--listen HOST:PORT] [--help].
// Runs until SIGINT or SIGTERM; returns the process exit code (0 on a clean stop, 2 for
// a usage or configuration error, 1 when the service could not start). `decorate` wraps
// each scheduler (test programs inject faults through it; `cuttle serve` passes none).
int serve_main(const std::vector<std::string>& args, const SchedulerDecorator& decorate = {});

}  // namespace cuttle::rest
