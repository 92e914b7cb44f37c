// Job dependencies: a job that starts only once earlier jobs of the same scheduler have
// reached a state (docs/dependencies.md). Part of JobDescription.
// Thread-safety: value types and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cuttle/job_status.h"

namespace cuttle {

enum class DependencyCondition {
  kAfterOk,     // the job ended Completed
  kAfterAny,    // the job ended, in any final state
  kAfterNotOk,  // the job ended in a final state other than Completed
  kAfterStart,  // the job started (or ended without starting: cancelled while queued)
};

struct JobDependency {
  DependencyCondition condition = DependencyCondition::kAfterOk;
  std::string job_id;  // the id the same scheduler's submit returned
  bool operator==(const JobDependency&) const = default;
};

// "after_ok", "after_any", "after_not_ok", "after_start".
std::string_view to_string(DependencyCondition condition);
// nullopt for any other word.
std::optional<DependencyCondition> dependency_condition_from(std::string_view word);

// Parses "after_ok:ID" (the CLI's form); throws InvalidJobDescription naming `field`.
JobDependency parse_dependency(std::string_view text, const std::string& field);

// What a dependency's status says about a condition: wait, go, or never.
enum class DependencyOutcome { kWait, kSatisfied, kNeverSatisfied };
DependencyOutcome dependency_outcome(DependencyCondition condition, const JobStatus& status);

// The rules dependencies satisfy before any adaptor sees them ("dependencies[1].job_id:
// is empty"): non-empty ids without NUL, control characters, spaces, ':' or ',' (the
// separators of the schedulers' own dependency syntax), at most 1,000.
void validate_dependencies(const std::vector<JobDependency>& dependencies);

}  // namespace cuttle
