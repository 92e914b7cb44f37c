// http(s) inputs of TES tasks, fetched when the task is posted (docs/rest.md explains why
// then: a URL that cannot be read is the client's 400, not a task failed later).
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>

#include <fstream>
#include <memory>

#include "bindings/rest/tes_files.h"

namespace cuttle::rest::tes {

namespace {

std::unique_ptr<Poco::Net::HTTPClientSession> open_session(const UrlParts& url) {
  if (url.scheme == "https") {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                               Poco::Net::Context::VERIFY_RELAXED, 9, true);
    return std::make_unique<Poco::Net::HTTPSClientSession>(url.host, url.port, context);
  }
  return std::make_unique<Poco::Net::HTTPClientSession>(url.host, url.port);
}

// Copies the body to `to`; false when it is longer than `limit`.
bool copy_limited(std::istream& in, const std::string& to, std::uint64_t limit) {
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  char buffer[64 * 1024];
  std::uint64_t total = 0;
  while (in) {
    in.read(buffer, sizeof buffer);
    const auto n = static_cast<std::uint64_t>(in.gcount());
    total += n;
    if (total > limit) return false;
    out.write(buffer, static_cast<std::streamsize>(n));
  }
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

void fetch_http(const std::string& url_text, const std::string& to, const TesConfig& config,
                const std::string& field) {
  std::string current = url_text;
  for (int hop = 0; hop <= 5; ++hop) {
    const auto url = parse_http_url(current);
    if (!url) throw RequestError(400, field, "is not a valid http(s) URL: " + current);
    try {
      auto session = open_session(*url);
      session->setTimeout(Poco::Timespan(
          std::chrono::duration_cast<std::chrono::microseconds>(config.http_timeout).count()));
      Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, url->path_and_query,
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.set("User-Agent", "cuttle-tes");
      session->sendRequest(request);
      Poco::Net::HTTPResponse response;
      std::istream& body = session->receiveResponse(response);
      const int status = response.getStatus();
      if (status >= 300 && status < 400 && response.has("Location")) {
        current = response.get("Location");
        continue;
      }
      if (status != 200) {
        throw RequestError(400, field, "GET " + url_text + " answered " + std::to_string(status));
      }
      if (!copy_limited(body, to, config.max_http_input_bytes)) {
        throw RequestError(413, field,
                           "is larger than tes.max_http_input_bytes (" +
                               std::to_string(config.max_http_input_bytes) + ")");
      }
      return;
    } catch (const RequestError&) {
      throw;
    } catch (const std::exception& e) {
      throw RequestError(400, field, "could not fetch " + url_text + ": " + e.what());
    }
  }
  throw RequestError(400, field, "more than 5 redirects fetching " + url_text);
}

}  // namespace cuttle::rest::tes
