// The dependency list Slurm (--dependency=) and Torque (-W depend=) share:
// "afterok:1:2,afternotok:3", one group per condition in the order first named, ','
// meaning AND. Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "cuttle/job_dependency.h"

namespace cuttle::detail {

// REQUIRES: validate_dependencies() passed (ids hold no ':' or ',').
std::string native_dependency_list(const std::vector<JobDependency>& dependencies);

}  // namespace cuttle::detail
