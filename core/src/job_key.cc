// Job keys: the generator and the validator.
#include "internal/job_key.h"

#include <chrono>
#include <cstdio>
#include <random>

namespace cuttle::detail {

std::string new_job_key() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "c%011llx%09llx",
                static_cast<unsigned long long>(ms) & 0xfffffffffffULL,
                static_cast<unsigned long long>(random()) & 0xfffffffffULL);
  return buffer;
}

bool is_job_key(std::string_view text) {
  if (text.size() != kJobKeyLength || text[0] != 'c') return false;
  for (char c : text.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace cuttle::detail
