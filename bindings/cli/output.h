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
// RFC 3339 UTC with milliseconds: "2026-12-01T15:04:05.123Z".
std::string format_time(const TimePoint& time);
// The inverse of format_time (fraction optional). Throws InvalidArgument.
TimePoint parse_time(const std::string& text);
// Where a job's stdout or stderr lives on the machine it runs on: the adaptor's
// scheduler_info["stdout"/"stderr"] when it says, else <sandbox>/stdout.txt; empty when
// unknown (an attached local job writes to the terminal that submitted it).
std::string output_path(const JobStatus& status, bool stderr_stream);
// Text status: a header, then one tab-separated line per job.
std::string status_header();
std::string status_line(const JobStatus& status);
std::string adaptor_text(const AdaptorDescriptor& adaptor);

}  // namespace cuttle::cli
