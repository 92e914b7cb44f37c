// The cluster-side layout of a batch array job (array_job.h).
#include "adaptors/batch/array_job.h"

#include "cuttle/error.h"
#include "cuttle/shell.h"
#include "internal/job_markers.h"

namespace cuttle::detail {
namespace {

// Stands for the element index in paths until per_element_wrapper() replaces it; a
// control character keeps it from ever being part of a real path.
constexpr std::string_view kIndexPlaceholder = "\x01index\x01";

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string element_sandbox(const std::string& array_sandbox, int index) {
  return array_sandbox + "/elements/" + std::to_string(index);
}

WrapperPaths array_wrapper_paths(const JobDescription& description,
                                 const std::string& array_sandbox) {
  JobDescription element = description;
  if (element.working_directory.empty()) element.working_directory = array_sandbox;
  return wrapper_paths(element, array_sandbox + "/elements/" + std::string(kIndexPlaceholder),
                       array_sandbox);
}

std::string per_element_wrapper(const std::string& wrapper) {
  // Inside a single-quoted word: close it, expand the index, reopen it.
  return replace_all(wrapper, kIndexPlaceholder, "'\"$CUTTLE_ARRAY_INDEX\"'");
}

std::string array_job_prelude(const std::string& array_sandbox) {
  return "CUTTLE_ARRAY_INDEX=${SLURM_ARRAY_TASK_ID:-${PBS_ARRAYID:-${PBS_ARRAY_INDEX:-}}}\n"
         "export CUTTLE_ARRAY_INDEX\n"
         "mkdir -p " +
         quote(array_sandbox + "/elements/") + "\"$CUTTLE_ARRAY_INDEX\"/" + kMarkerDir + "\n";
}

void check_batch_array(const JobDescription& description, const std::string& scheduler) {
  if (description.array && description.uses_containers()) {
    throw Unsupported("array: " + scheduler +
                      " arrays do not run container images yet (docs/arrays.md)");
  }
}

}  // namespace cuttle::detail
