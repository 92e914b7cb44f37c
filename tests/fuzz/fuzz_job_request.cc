// Fuzzes the body of POST /job (the joblauncher request JSON plus Cuttle's additions):
// every byte of it comes from a client. A refusal must be a RequestError naming a field;
// an accepted request must echo back ("request" in the status document) to the same
// request, because the service rebuilds jobs from that echo after a restart.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bindings/rest/job_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cuttle::rest;
  static const Config config = [] {
    Config c;
    c.job_roots = {"/tmp"};
    c.limits.max_body_bytes = 64 * 1024;
    return c;
  }();
  const std::string body(reinterpret_cast<const char*>(data), size);
  JobRequest request;
  try {
    request = parse_job_request(body, config);
  } catch (const RequestError& e) {
    if (e.field().empty()) std::abort();  // every refusal names what was wrong
    return 0;
  }
  const nlohmann::json echoed = request_to_json(request);
  if (request_to_json(request_from_json(echoed)) != echoed) std::abort();
  (void)to_job_description(request, "fuzz");
  (void)parse_http_url(request.status_callback_url);
  return 0;
}
