// Shared by the REST fuzz tests (rest_security_test.cc, rest_jobs_api_fuzz_test.cc,
// rest_tes_fuzz_test.cc): a seeded die, JSON
// values of the wrong type or shape for any member, and a client that sends fuzzed requests
// on one kept-alive connection and tallies the answers — a 5xx is a test failure, and an
// error answer must be a JSON body naming the field and the reason.
// Thread-safety: used from the test thread.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/rest/rest_test_support.h"

namespace cuttle::rest::testing {

// How many kinds weird_value() knows.
inline constexpr std::size_t kWeirdValueKinds = 6;

// Kind `kind` (< kWeirdValueKinds) of a value no member expects: null, a negative number, a
// huge one, a mixed list, an object with an empty key, a string over the default limit.
inline json weird_value(std::size_t kind) {
  switch (kind) {
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
    default:
      return std::string(70000, 'z');
  }
}

// A member or element somewhere in a JSON document, as FuzzDice::somewhere() picks it.
struct JsonSlot {
  json* parent = nullptr;  // null: the document itself
  std::string key;         // in an object
  std::size_t index = 0;   // in an array
  json* root = nullptr;
  json& value() const {
    if (parent == nullptr) return *root;
    return parent->is_object() ? (*parent)[key] : (*parent)[index];
  }
  // Removes the member or element (not the document itself).
  void erase() const {
    if (parent == nullptr) return;
    if (parent->is_object()) {
      parent->erase(key);
    } else {
      parent->erase(index);
    }
  }
};

// A seeded die: the same seed, the same requests.
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
  // A member or element of `root` up to four levels down, chosen at random.
  JsonSlot somewhere(json& root) {
    JsonSlot slot{nullptr, {}, 0, &root};
    json* at = &root;
    for (int depth = 0; depth < 4; ++depth) {
      if (!(at->is_object() || at->is_array()) || at->empty()) break;
      const std::size_t i = pick(at->size());
      if (at->is_object()) {
        auto it = at->begin();
        std::advance(it, static_cast<std::ptrdiff_t>(i));
        slot = {at, it.key(), 0, &root};
      } else {
        slot = {at, {}, i, &root};
      }
      if (pick(2)) break;
      at = &slot.value();
    }
    return slot;
  }
  // `text` broken the ways clients break bodies: truncated, a few bytes flipped, or
  // replaced by deep nesting.
  std::string mangled(const std::string& text) {
    switch (pick(3)) {
      case 0:
        return text.substr(0, pick(text.size()));
      case 1: {
        std::string flipped = text;
        for (int i = 0, n = 1 + static_cast<int>(pick(8)); i < n && !flipped.empty(); ++i) {
          flipped[pick(flipped.size())] = static_cast<char>(pick(256));
        }
        return flipped;
      }
      default:
        return std::string(pick(2) ? 40 : 5000, '[');
    }
  }
  // A value of the wrong type or size for any member, a boolean, or one of `hostile` (a
  // contract's own hostile strings: paths, URLs, shell text).
  json weird_value(const std::vector<std::string>& hostile) {
    const std::size_t kind = pick(kWeirdValueKinds + 2);
    if (kind < kWeirdValueKinds) return ::cuttle::rest::testing::weird_value(kind);
    if (kind == kWeirdValueKinds) return true;
    return one_of(hostile);
  }

 private:
  std::mt19937 rng_;
};

// Runs `start` (which starts the service) with an empty directory under `dir` as PATH: the
// service finds no container runtime nor anything else there, so the valid jobs among
// the fuzzed requests fail at once instead of starting thousands of containers.
template <typename Start>
void start_with_empty_path(const std::string& dir, Start start) {
  const char* old = std::getenv("PATH");
  const std::string path = old ? old : "";
  std::filesystem::create_directories(dir + "/empty-path");
  setenv("PATH", (dir + "/empty-path").c_str(), 1);
  try {
    start();
  } catch (...) {
    setenv("PATH", path.c_str(), 1);
    throw;
  }
  setenv("PATH", path.c_str(), 1);
}

class FuzzClient {
 public:
  // `must_name(status)`: whether an answer with this status must name its field.
  FuzzClient(std::uint16_t port, std::function<bool(int)> must_name)
      : port_(port), must_name_(std::move(must_name)) {}

  // Sends one request (a new connection when the last one closed) and tallies the answer.
  void send(const std::string& method, const std::string& target, const std::string& body,
            const std::map<std::string, std::string>& headers = {}) {
    try {
      if (!session_) {
        session_ = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port_);
        session_->setTimeout(Poco::Timespan(20, 0));
      }
      Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
      for (const auto& [k, v] : headers) request.set(k, v);
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.setContentType("application/json");
      session_->sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::string answer;
      Poco::StreamCopier::copyToString(session_->receiveResponse(response), answer);
      const int status = response.getStatus();
      ++by_status_[status];
      if (status >= 500) {
        ++five_hundreds_;
        ADD_FAILURE() << method << " " << target << " " << body.substr(0, 300) << " -> " << status
                      << " " << answer;
      }
      if (must_name_(status)) {
        const json parsed = json::parse(answer, nullptr, false);
        if (!parsed.is_object() || parsed.value("field", "").empty() ||
            parsed.value("reason", "").empty()) {
          ++unnamed_errors_;
          ADD_FAILURE() << method << " " << target << " -> " << status << " " << answer;
        }
      }
      if (!response.getKeepAlive()) session_.reset();
    } catch (const Poco::Exception&) {
      session_.reset();
    }
  }
  // A 5xx seen some other way (e.g. on a raw socket).
  void count_five_hundred() { ++five_hundreds_; }

  int five_hundreds() const { return five_hundreds_; }
  int unnamed_errors() const { return unnamed_errors_; }
  int count(int status) const {
    auto it = by_status_.find(status);
    return it == by_status_.end() ? 0 : it->second;
  }

 private:
  std::uint16_t port_;
  std::function<bool(int)> must_name_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  int five_hundreds_ = 0;
  int unnamed_errors_ = 0;
  std::map<int, int> by_status_;
};

}  // namespace cuttle::rest::testing
