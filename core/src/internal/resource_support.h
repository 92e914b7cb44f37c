// The one refusal of resource and placement fields (gpus, gpu_type, account, qos,
// reservation, constraints, exclusive_nodes) that an adaptor's Capabilities do not list.
// ManagedScheduler calls it at submit, before the adaptor sees the job.
// Thread-safety: a pure function.
#pragma once

#include <optional>
#include <string>

#include "cuttle/job_description.h"
#include "cuttle/scheduler.h"

namespace cuttle::detail {

struct UnsupportedField {
  std::string field;   // "gpus"
  std::string reason;  // why, and what to do instead
};

// The first field that is set and that `capabilities` does not honour; nullopt if none.
std::optional<UnsupportedField> unsupported_resource(const JobDescription& description,
                                                     const Capabilities& capabilities,
                                                     const std::string& adaptor_name);

// Throws Unsupported naming the first field that is set and that `capabilities` does not
// honour, e.g. "gpus: the local adaptor cannot honour it ...".
void require_resource_support(const JobDescription& description, const Capabilities& capabilities,
                              const std::string& adaptor_name);

}  // namespace cuttle::detail
