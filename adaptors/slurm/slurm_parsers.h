// Parsers of what Slurm's commands print, for the formats slurm_dialect asks for.
// Fields are separated by 0x1f (unit separator), which no state, time or partition
// contains; the job name, which may contain anything, is printed last.
// Fixtures: testdata/ (captured from a real Slurm 22.05, see testdata/README).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adaptors/batch/dialect.h"

namespace cuttle::detail::slurm {

inline constexpr char kSeparator = '\x1f';
// squeue -o: id, state, reason, submit, start, end, time limit, partition, name.
extern const char* const kSqueueFormat;
// sacct --format (with --delimiter=0x1f).
extern const char* const kSacctFormat;
// sinfo -o: partition (default marked '*'), availability, time limit, nodes, A/I/O/T.
extern const char* const kSinfoFormat;

// "123" or "123;cluster". Throws InternalError when there is no id.
std::string parse_sbatch(std::string_view output);
std::vector<NativeJob> parse_squeue(std::string_view output);
std::vector<NativeJob> parse_sacct(std::string_view output);
std::vector<QueueInfo> parse_sinfo(std::string_view output);
// "5:0" -> 5, "0:9" -> 137 (128 + signal), nullopt when malformed.
std::optional<int> parse_exit_code(std::string_view text);

}  // namespace cuttle::detail::slurm
