// Small helpers the job_service_*.cc files share. Internal to JobService.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cuttle/job_status.h"

namespace cuttle::rest::service_detail {

std::int64_t now_ms();
// Compact JSON; invalid UTF-8 is replaced rather than thrown on.
std::string dump(const nlohmann::json& j);
// A final Error status carrying `message` as its reason.
JobStatus error_status(const std::string& message);
// The sandbox directory a stored status document names; empty when it names none.
std::string sandbox_of(const std::string& status_json);

}  // namespace cuttle::rest::service_detail
