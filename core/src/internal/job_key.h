// The job key: the name of a job's sandbox directory, the id of local detached and ssh
// jobs, and the suffix of a batch job's scheduler-side name. "c" + 20 lower-case hex
// digits: an 11-digit millisecond clock (keys sort by submit time) and 9 random digits.
// One generator and one validator; a string that fails is_job_key() never reaches a
// path or a command line as a key.
// Thread-safety: pure functions (new_job_key uses a thread-local generator).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cuttle::detail {

inline constexpr std::size_t kJobKeyLength = 21;

std::string new_job_key();
bool is_job_key(std::string_view text);

}  // namespace cuttle::detail
