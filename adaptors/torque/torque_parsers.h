// Parsers of Torque's qstat output: qstat -x (XML, Torque 4-6: <Data><Job>...), parsed
// with pugixml; qstat -f (the text form, also printed by Slurm's Torque wrappers, which
// lack -x); qsub's job id; qstat -Q. Fixtures: testdata/ (see testdata/README).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adaptors/batch/dialect.h"

namespace cuttle::detail::torque {

// Fills state, exit code and reason from job_state and exit_status (either may be
// empty). Torque: Q H W T queued, R S running, E exiting (still running, not an
// error), C completed (exit_status decides: 0 Completed, >0 Failed, >256 killed by
// signal N-256, <0 a JOB_EXEC_* failure of Torque itself: Error). C without
// exit_status leaves state unset, so the engine reads the wrapper's marker.
void apply_torque_state(NativeJob& job, std::string_view job_state, std::string_view exit_status);

// Throws InternalError when the XML does not parse (a truncated answer).
std::vector<NativeJob> parse_qstat_xml(std::string_view xml);
std::vector<NativeJob> parse_qstat_full(std::string_view text);
// "123.server" (Torque) or "123" (Slurm's wrapper). Throws InternalError without an id.
std::string parse_qsub(std::string_view output);
std::vector<QueueInfo> parse_qstat_queues(std::string_view text);
// Torque's memory with its unit: 1536 MiB -> "1536mb".
std::string torque_memory(std::uint64_t bytes);

}  // namespace cuttle::detail::torque
