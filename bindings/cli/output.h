// How the `cuttle` command prints statuses, adaptors and queues: one line per item for
// people, or JSON with --json. Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "cuttle/registry.h"
#include "cuttle/scheduler.h"

namespace cuttle::cli {

nlohmann::json to_json(const JobStatus& status);
nlohmann::json to_json(const AdaptorDescriptor& adaptor);
nlohmann::json to_json(const QueueInfo& queue);
std::string format_time(const TimePoint& time);  // ISO 8601 UTC, seconds
std::string status_line(const JobStatus& status);
std::string adaptor_text(const AdaptorDescriptor& adaptor);

}  // namespace cuttle::cli
