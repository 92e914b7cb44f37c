// register_builtin_adaptors(): explicit, idempotent registration of what was built.
#include <mutex>

#include "internal/builtin.h"

namespace cuttle {

void register_builtin_adaptors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Registry& registry = Registry::global();
#ifdef CUTTLE_WITH_LOCAL
    detail::register_local_adaptor(registry);
#endif
#ifdef CUTTLE_WITH_SSH
    detail::register_ssh_adaptor(registry);
#endif
#ifdef CUTTLE_WITH_SLURM
    detail::register_slurm_adaptor(registry);
#endif
#ifdef CUTTLE_WITH_TORQUE
    detail::register_torque_adaptor(registry);
#endif
#ifdef CUTTLE_WITH_KUBERNETES
    detail::register_kubernetes_adaptor(registry);
#endif
    (void)registry;
  });
}

}  // namespace cuttle
