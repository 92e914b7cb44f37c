#include "bindings/rest/job_service_helpers.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "bindings/rest/status_document.h"
#include "cuttle/error.h"

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

std::string random_uuid() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InternalError(std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<std::size_t>(n);
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < sizeof bytes; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace cuttle::rest::service_detail
