#include "bindings/rest/job_service_helpers.h"

#include "bindings/rest/status_document.h"

namespace cuttle::rest::service_detail {

using nlohmann::json;

std::int64_t now_ms() { return to_millis(Clock::now()); }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

JobStatus error_status(const std::string& message) {
  JobStatus status;
  status.state = JobState::kError;
  status.error = message;
  status.reason = message;
  status.finished = Clock::now();
  return status;
}

std::string sandbox_of(const std::string& status_json) {
  const json status = json::parse(status_json, nullptr, false);
  if (!status.is_object()) return {};
  const json info = status.value("schedulerSpecficInformation", json::object());
  if (!info.is_object() || !info.contains("sandbox") || !info["sandbox"].is_string()) return {};
  return info["sandbox"].get<std::string>();
}

}  // namespace cuttle::rest::service_detail
