// A JobDescription as JSON text, and back: what `cuttle submit --from job.json` reads and
// Python's JobDescription.to_json()/from_json()/to_dict() use, so a job can be written
// down once and submitted anywhere. Durations are text ("10m") or seconds, sizes text
// ("4G") or bytes. Unknown keys are refused, naming the key and listing the valid ones.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "cuttle/job_description.h"

namespace cuttle {

// Only fields that differ from a default JobDescription are written.
std::string to_json_text(const JobDescription& description, int indent = -1);

// Throws InvalidJobDescription naming the field ("max_runtime", "stage_in[1].source",
// "unknown field 'nmae'") for malformed, truncated or mistyped JSON.
JobDescription job_description_from_json(std::string_view text);

}  // namespace cuttle
