// The one table from Slurm job states to Cuttle's, with the states whose exit code
// squeue does not print (the engine reads the wrapper's marker for those).
// Thread-safety: pure functions over constant data.
#pragma once

#include <optional>
#include <string_view>

#include "cuttle/job_state.h"

namespace cuttle::detail::slurm {

struct StateMapping {
  std::string_view native;  // "PENDING"
  JobState state;
  bool exit_code_from_marker;  // final, and the exit code decides/completes it
  std::string_view meaning;    // shown as the reason when Slurm gives none
};

// nullopt for a state this table does not know. Accepts sacct's "CANCELLED by 123" and
// squeue's compact codes are NOT accepted (we always ask for long names).
std::optional<StateMapping> map_state(std::string_view native);

}  // namespace cuttle::detail::slurm
