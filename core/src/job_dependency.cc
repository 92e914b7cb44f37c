// Job dependencies: condition names, the CLI's form, validation, and what a status means
// for a condition.
#include "cuttle/job_dependency.h"

#include <array>
#include <utility>

#include "cuttle/error.h"

namespace cuttle {
namespace {

constexpr std::size_t kMaxDependencies = 1000;

constexpr std::array<std::pair<DependencyCondition, std::string_view>, 4> kNames = {{
    {DependencyCondition::kAfterOk, "after_ok"},
    {DependencyCondition::kAfterAny, "after_any"},
    {DependencyCondition::kAfterNotOk, "after_not_ok"},
    {DependencyCondition::kAfterStart, "after_start"},
}};

}  // namespace

std::string_view to_string(DependencyCondition condition) {
  for (const auto& [value, name] : kNames) {
    if (value == condition) return name;
  }
  return "after_ok";
}

std::optional<DependencyCondition> dependency_condition_from(std::string_view word) {
  for (const auto& [value, name] : kNames) {
    if (name == word) return value;
  }
  return std::nullopt;
}

JobDependency parse_dependency(std::string_view text, const std::string& field) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw InvalidJobDescription(
        field, "expected CONDITION:JOB_ID (e.g. after_ok:1234), got '" + std::string(text) + "'");
  }
  const auto condition = dependency_condition_from(text.substr(0, colon));
  if (!condition) {
    throw InvalidJobDescription(field, "unknown condition '" + std::string(text.substr(0, colon)) +
                                           "' (after_ok, after_any, after_not_ok, after_start)");
  }
  return {*condition, std::string(text.substr(colon + 1))};
}

DependencyOutcome dependency_outcome(DependencyCondition condition, const JobStatus& status) {
  const bool done = is_final(status.state);
  const bool ok = status.state == JobState::kCompleted;
  switch (condition) {
    case DependencyCondition::kAfterOk:
      return !done ? DependencyOutcome::kWait
                   : (ok ? DependencyOutcome::kSatisfied : DependencyOutcome::kNeverSatisfied);
    case DependencyCondition::kAfterNotOk:
      return !done ? DependencyOutcome::kWait
                   : (ok ? DependencyOutcome::kNeverSatisfied : DependencyOutcome::kSatisfied);
    case DependencyCondition::kAfterAny:
      return done ? DependencyOutcome::kSatisfied : DependencyOutcome::kWait;
    case DependencyCondition::kAfterStart:
      return done || status.started || status.state == JobState::kRunning ||
                     status.state == JobState::kStagingOut
                 ? DependencyOutcome::kSatisfied
                 : DependencyOutcome::kWait;
  }
  return DependencyOutcome::kWait;
}

void validate_dependencies(const std::vector<JobDependency>& dependencies) {
  if (dependencies.size() > kMaxDependencies) {
    throw InvalidJobDescription("dependencies",
                                "at most " + std::to_string(kMaxDependencies) + " dependencies");
  }
  for (std::size_t i = 0; i < dependencies.size(); ++i) {
    const std::string field = "dependencies[" + std::to_string(i) + "].job_id";
    const std::string& id = dependencies[i].job_id;
    if (id.empty()) throw InvalidJobDescription(field, "is empty");
    if (id.size() > 200) throw InvalidJobDescription(field, "is longer than 200 characters");
    for (unsigned char c : id) {
      if (c < 0x21 || c == 0x7f || c == ':' || c == ',' || c == '\'' || c == '"' || c == '\\') {
        throw InvalidJobDescription(field, "'" + id +
                                               "' is not a job id (no spaces, control characters, "
                                               "quotes, ':' or ',')");
      }
    }
  }
}

}  // namespace cuttle
