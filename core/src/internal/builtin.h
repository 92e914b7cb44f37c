// Registration functions of the built-in adaptors, called by register_builtin_adaptors().
// Each is defined in its adaptor's folder; CUTTLE_WITH_<NAME> says which are built.
#pragma once

#include "cuttle/registry.h"

namespace cuttle::detail {

void register_local_adaptor(Registry& registry);
void register_ssh_adaptor(Registry& registry);
void register_slurm_adaptor(Registry& registry);
void register_torque_adaptor(Registry& registry);
void register_kubernetes_adaptor(Registry& registry);

}  // namespace cuttle::detail
