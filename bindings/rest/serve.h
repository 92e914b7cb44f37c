// Entry point of `cuttle serve`: the joblauncher-compatible REST service.
// Thread-safety: call once per process, from the main thread.
#pragma once

#include <string>
#include <vector>

namespace cuttle::rest {

// `args` are what follows `cuttle serve`: [--config FILE] [--listen HOST:PORT] [--help].
// Runs until SIGINT or SIGTERM; returns the process exit code (0 on a clean stop, 2 for
// a usage or configuration error, 1 when the service could not start).
int serve_main(const std::vector<std::string>& args);

}  // namespace cuttle::rest
