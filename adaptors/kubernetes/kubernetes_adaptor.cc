// The registration of kubernetes://.
#include "adaptors/kubernetes/kubernetes_options.h"
#include "adaptors/kubernetes/kubernetes_scheduler.h"
#include "internal/builtin.h"

namespace cuttle::detail {

void register_kubernetes_adaptor(Registry& registry) {
  AdaptorDescriptor descriptor;
  descriptor.name = "kubernetes";
  descriptor.description =
      "container jobs as batch/v1 Jobs on a Kubernetes cluster (kubeconfig credentials, "
      "informers, logs from pods/log)";
  descriptor.schemes = {"kubernetes"};
  descriptor.location_forms = {"kubernetes://  (the kubeconfig's current context)",
                               "kubernetes://[HOST:PORT][?namespace=NS&context=NAME]"};
  descriptor.properties = kubernetes_property_descriptors();
  descriptor.query_keys = {"namespace", "context"};
  descriptor.capabilities.staging = true;
  descriptor.capabilities.detached = true;
  descriptor.capabilities.containers = true;
  descriptor.capabilities.native_time_limit = true;
  descriptor.capabilities.extend = true;
  descriptor.capabilities.gpus = true;
  descriptor.capabilities.steps = true;
  descriptor.factory = [](const Location& location, const Properties& properties,
                          const Credential& credential) -> std::shared_ptr<Scheduler> {
    KubernetesOptions options = KubernetesOptions::from(properties);
    ClusterAccess access = resolve_cluster_access(location, options.kubeconfig, credential);
    return KubernetesScheduler::create(location, std::move(access), std::move(options));
  };
  registry.add(std::move(descriptor));
}

}  // namespace cuttle::detail
