// Small helpers the job_service_*.cc files and the contracts' routes share.
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
// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", from the kernel's
// random source: one getrandom(2) call, no file opened (ids are made per request).
std::string random_uuid();

}  // namespace cuttle::rest::service_detail
