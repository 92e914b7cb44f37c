// Names of the job states and the transition validator.
#include "cuttle/job_state.h"

#include <array>
#include <cctype>
#include <string>

namespace cuttle {
namespace {

constexpr std::array<std::string_view, 10> kNames = {
    "New",       "StagingIn", "Queued",    "Running", "StagingOut",
    "Completed", "Failed",    "Cancelled", "Expired", "Error"};

int rank(JobState state) { return static_cast<int>(state); }

}  // namespace

std::string_view to_string(JobState state) { return kNames.at(static_cast<std::size_t>(state)); }

std::optional<JobState> parse_job_state(std::string_view text) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string wanted = lower(text);
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (lower(kNames[i]) == wanted) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

bool is_final(JobState state) { return rank(state) >= rank(JobState::kCompleted); }

bool is_valid_transition(JobState from, JobState to) {
  if (from == to) return true;
  if (is_final(from)) return false;
  return rank(to) > rank(from);
}

}  // namespace cuttle
