// Fuzzes every parser of Slurm command output (sbatch, squeue, sacct, sinfo, exit codes):
// a scheduler's answer is outside input, possibly truncated or from another version.
// Seeds: adaptors/slurm/testdata (real Slurm 22.05 output) and corpus/fuzz_slurm.
#include <cstdint>
#include <string_view>

#include "adaptors/slurm/slurm_parsers.h"
#include "cuttle/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace slurm = cuttle::detail::slurm;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)slurm::parse_sbatch(text);
  } catch (const cuttle::InternalError&) {
  }
  (void)slurm::parse_squeue(text);
  (void)slurm::parse_sacct(text);
  (void)slurm::parse_sinfo(text);
  (void)slurm::parse_exit_code(text);
  return 0;
}
