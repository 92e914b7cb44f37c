// Slurm's and Torque's shared dependency syntax.
#include "adaptors/batch/dependency_text.h"

#include <algorithm>
#include <utility>

namespace cuttle::detail {
namespace {

// Both schedulers' words: after_start is "after" (started, or cancelled before it could).
const char* native_word(DependencyCondition condition) {
  switch (condition) {
    case DependencyCondition::kAfterOk:
      return "afterok";
    case DependencyCondition::kAfterAny:
      return "afterany";
    case DependencyCondition::kAfterNotOk:
      return "afternotok";
    case DependencyCondition::kAfterStart:
      return "after";
  }
  return "afterok";
}

}  // namespace

std::string native_dependency_list(const std::vector<JobDependency>& dependencies) {
  std::vector<std::pair<DependencyCondition, std::string>> groups;
  for (const JobDependency& d : dependencies) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& group) { return group.first == d.condition; });
    if (it == groups.end()) {
      groups.emplace_back(d.condition, native_word(d.condition));
      it = groups.end() - 1;
    }
    it->second += ":" + d.job_id;
  }
  std::string out;
  for (const auto& [condition, text] : groups) out += (out.empty() ? "" : ",") + text;
  return out;
}

}  // namespace cuttle::detail
