// The kubernetes:// properties and the options parsed from them and from the location
// (kubernetes://[HOST:PORT][?namespace=NS&context=NAME]).
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "adaptors/kubernetes/api_client.h"
#include "adaptors/kubernetes/job_manifest.h"
#include "cuttle/credential.h"
#include "cuttle/location.h"
#include "cuttle/properties.h"
#include "internal/lost_rule.h"

namespace cuttle::detail {

struct KubernetesOptions {
  // Parsed from the adaptor's properties; each refusal names the property.
  static KubernetesOptions from(const Properties& properties);

  ApiLimits limits;
  ManifestOptions manifest;
  std::string kubeconfig;  // "" = $KUBECONFIG or ~/.kube/config
  std::string logs_root;   // on this machine, "~" expanded
  std::size_t logs_limit = 10 * 1024 * 1024;
  std::chrono::seconds ttl_after_finished{600};
  std::chrono::milliseconds image_grace{120000};
  std::chrono::milliseconds config_grace{60000};
  std::chrono::milliseconds unschedulable_grace{300000};
  std::chrono::milliseconds quota_retry{10000};
  std::chrono::milliseconds cancel_grace{5000};
  LostRule lost_rule;
};

std::vector<PropertyDescriptor> kubernetes_property_descriptors();

// The API server and credentials for `location`: the kubeconfig's context (the current
// one, or ?context=NAME), with HOST:PORT replacing its server and ?namespace= its
// namespace; the in-cluster service account when no kubeconfig exists; a token
// credential replaces the kubeconfig's user. Throws InvalidArgument naming what is wrong.
ClusterAccess resolve_cluster_access(const Location& location, const std::string& kubeconfig,
                                     const Credential& credential);

}  // namespace cuttle::detail
