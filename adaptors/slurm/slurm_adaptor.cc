// Registers the Slurm adaptor: slurm:// runs the commands on this machine,
// slurm+ssh://[user@]host[:port] runs them on a login node over SSH.
#include "adaptors/batch/transport.h"
#include "adaptors/slurm/slurm_dialect.h"
#include "internal/builtin.h"

namespace cuttle::detail {

void register_slurm_adaptor(Registry& registry) {
  registry.add(batch_adaptor_descriptor(
      "slurm", "Slurm through sbatch/squeue/sacct/scancel, here or on a login node over SSH",
      slurm::SlurmDialect().capabilities(),
      [](const Properties&) { return std::make_unique<slurm::SlurmDialect>(); }));
}

}  // namespace cuttle::detail
