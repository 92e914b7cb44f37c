// The final status of a kubernetes:// job, kept on this machine beside its logs
// (logs.root/<key>/final.json): a cancelled Job is deleted and a finished one is removed
// by its TTL, so this record is how another scheduler object or process still reads the
// truth after the API server forgot the Job.
// Thread-safety: free functions; one writer per job (the finish step).
#pragma once

#include <optional>
#include <string>

#include "cuttle/job_status.h"

namespace cuttle::detail {

void write_final_record(const std::string& directory, const JobStatus& status);
// nullopt when there is no record or it does not parse as one.
std::optional<JobStatus> read_final_record(const std::string& directory);

}  // namespace cuttle::detail
