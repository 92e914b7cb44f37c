// Sends fuzzed requests to the real service and tallies what came back: the part of the
// bounded fuzz tests (rest_security_test.cc, rest_tes_fuzz_test.cc) that does not depend
// on which contract is being fuzzed.
// Thread-safety: one FuzzClient per test thread.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {

// The random choices every fuzzer makes.
class FuzzDice {
 public:
  explicit FuzzDice(std::uint32_t seed) : rng_(seed) {}
  std::size_t pick(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  template <typename T>
  const T& one_of(const std::vector<T>& values) {
    return values[pick(values.size())];
  }
  std::string random_text(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<char>(pick(256));
    return s;
  }
  // A value of the wrong type or size for any field, or one of `hostile` (a contract's
  // own hostile strings: paths, URLs, shell text).
  json weird_value(const std::vector<std::string>& hostile) {
    switch (pick(8)) {
      case 0:
        return nullptr;
      case 1:
        return -1;
      case 2:
        return 1e308;
      case 3:
        return json::array({1, nullptr, "x"});
      case 4:
        return json::object({{"", ""}});
      case 5:
        return std::string(70000, 'z');
      case 6:
        return true;
      default:
        return one_of(hostile);
    }
  }

 private:
  std::mt19937 rng_;
};

struct FuzzTally {
  int five_hundreds = 0;
  int non_json_errors = 0;  // a 4xx (other than 413) without {"field", "reason"}
  std::map<int, int> by_status;
};

// One keep-alive connection, reopened whenever the service closes it.
class FuzzClient {
 public:
  explicit FuzzClient(std::uint16_t port) : port_(port) {}

  // Sends one request; a 5xx is also reported as a test failure naming the request.
  void send(const std::string& method, const std::string& target, const std::string& body) {
    try {
      if (!session_) {
        session_ = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port_);
        session_->setTimeout(Poco::Timespan(20, 0));
      }
      Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.setContentType("application/json");
      session_->sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::string answer;
      Poco::StreamCopier::copyToString(session_->receiveResponse(response), answer);
      const int status = response.getStatus();
      ++tally_.by_status[status];
      if (status >= 500) {
        ++tally_.five_hundreds;
        ADD_FAILURE() << method << " " << target << " " << body.substr(0, 300) << " -> " << status
                      << " " << answer;
      }
      if (status >= 400 && status != 413) {
        const json parsed = json::parse(answer, nullptr, false);
        if (!parsed.is_object() || !parsed.contains("field") || !parsed.contains("reason")) {
          ++tally_.non_json_errors;
        }
      }
      if (!response.getKeepAlive()) session_.reset();
    } catch (const Poco::Exception&) {
      session_.reset();
    }
  }
  FuzzTally& tally() { return tally_; }

 private:
  std::uint16_t port_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  FuzzTally tally_;
};

}  // namespace cuttle::rest::testing
