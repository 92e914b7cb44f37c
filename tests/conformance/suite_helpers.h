// Small helpers the conformance test files share: local files, unique names, a job.
// Thread-safety: unique_name() is safe from any thread; the rest are pure or touch only
// the files named.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cuttle/cuttle.h"
#include "tests/unit/test_util.h"

namespace cuttle::conformance {

using ::cuttle::testing::read_file;
using ::cuttle::testing::write_file;

inline bool local_exists(const std::string& path) {
  struct stat info;
  return ::lstat(path.c_str(), &info) == 0;
}

// Polls `ready` every 20 ms: true once it holds, false if it still does not after
// `timeout`.
inline bool holds_within(std::chrono::milliseconds timeout, const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Cleanup after a final state may run in the background.
inline bool gone_within(const std::string& path, std::chrono::milliseconds timeout) {
  return holds_within(timeout, [&] { return !local_exists(path); });
}

inline bool appears_within(const std::string& path, std::chrono::milliseconds timeout) {
  return holds_within(timeout, [&] { return local_exists(path); });
}

inline std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

// The shared hostile strings (tests/data/hostile_strings.txt), `canary` substituted.
std::vector<std::string> hostile_strings(const std::string& canary);

using ::cuttle::testing::job;

}  // namespace cuttle::conformance
