// The HTTP face of the service: routing, bearer-token checks, size limits, JSON error
// bodies ({"error", "field", "reason"}) and Server-Sent Events, over Poco's HTTPServer.
// Thread-safety: handlers run on the server's thread pool; they share only JobService.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <memory>
#include <string>

#include "bindings/rest/job_service.h"

namespace cuttle::rest {

class ApiHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  ApiHandlerFactory(JobService& service, bool tls);
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  JobService& service_;
  bool tls_;
};

// The OpenAPI document served at /openapi.json (docs/openapi.json, embedded at build time).
const std::string& openapi_document();

}  // namespace cuttle::rest
