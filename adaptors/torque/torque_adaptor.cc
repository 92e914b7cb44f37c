// Registers the Torque adaptor: torque:// runs qsub/qstat/qdel here,
// torque+ssh://[user@]host[:port] on a login node over SSH.
#include "adaptors/batch/transport.h"
#include "adaptors/torque/torque_dialect.h"
#include "internal/builtin.h"

namespace cuttle::detail {

void register_torque_adaptor(Registry& registry) {
  registry.add(batch_adaptor_descriptor(
      "torque", "Torque/PBS through qsub/qstat/qdel, here or on a login node over SSH",
      torque::TorqueDialect().capabilities(),
      [](const Properties&) { return std::make_unique<torque::TorqueDialect>(); }));
}

}  // namespace cuttle::detail
