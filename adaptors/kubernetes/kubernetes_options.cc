// kubernetes:// properties and location resolution.
#include "adaptors/kubernetes/kubernetes_options.h"

#include <cstdlib>

#include "cuttle/error.h"
#include "internal/common_properties.h"

namespace cuttle::detail {
namespace {

std::string expand_home(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + path.substr(1);
  }
  return path;
}

bool valid_namespace(const std::string& ns) {
  if (ns.empty() || ns.size() > 63) return false;
  for (char c : ns) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return ns.front() != '-' && ns.back() != '-';
}

std::chrono::milliseconds positive(const Properties& properties, const char* name) {
  auto value = properties.get_duration(name);
  if (value.count() <= 0)
    throw InvalidArgument(std::string("property ") + name + ": must be positive");
  return value;
}

}  // namespace

std::vector<PropertyDescriptor> kubernetes_property_descriptors() {
  return {
      {"kubeconfig", PropertyType::kString, "",
       "kubeconfig file; empty: $KUBECONFIG (a ':' list) or ~/.kube/config, else the in-cluster "
       "service account"},
      {"tls.insecure", PropertyType::kBool, "false",
       "skip verifying the API server's certificate (also when the kubeconfig says "
       "insecure-skip-tls-verify)"},
      {"default.image", PropertyType::kString, "",
       "image for jobs that name none (empty: such jobs are refused)"},
      {"api.qps", PropertyType::kInt, "20", "requests per second to one API server (all jobs)"},
      {"api.burst", PropertyType::kInt, "40", "requests allowed in a burst above api.qps"},
      {"api.timeout", PropertyType::kDuration, "30s", "timeout of one API request"},
      {"logs.root", PropertyType::kString, "~/.cuttle/kubernetes",
       "directory on this machine that receives each job's stdout/stderr (from pods/log)"},
      {"logs.limit", PropertyType::kSize, "10M", "at most this much of a job's log is kept"},
      {"ttl.after.finished", PropertyType::kDuration, "10m",
       "ttlSecondsAfterFinished patched onto a Job once its outcome and logs are captured"},
      {"grace.image", PropertyType::kDuration, "2m",
       "how long a pod may wait on ErrImagePull/ImagePullBackOff/InvalidImageName before the "
       "job is Error"},
      {"grace.config", PropertyType::kDuration, "1m",
       "how long a pod may wait on CreateContainerConfigError before the job is Error"},
      {"grace.unschedulable", PropertyType::kDuration, "5m",
       "how long a pod may be Unschedulable before the job is Error"},
      {"quota.retry", PropertyType::kDuration, "10s",
       "interval between create attempts of a job refused by a quota (it stays Queued)"},
      {"deadline.slack", PropertyType::kDuration, "10m",
       "a job with a max_runtime gets the backstop activeDeadlineSeconds max_runtime + "
       "cancel.grace + this (the pod's wrapper holds the command to max_runtime from its "
       "start; the Job's deadline also counts the pod's start-up and staging)"},
      cancel_grace_property(),
      lost_grace_property(),
  };
}

KubernetesOptions KubernetesOptions::from(const Properties& properties) {
  KubernetesOptions options;
  options.kubeconfig = expand_home(properties.get_string("kubeconfig"));
  options.limits.insecure = properties.get_bool("tls.insecure");
  options.limits.qps = static_cast<double>(properties.get_int("api.qps"));
  options.limits.burst = static_cast<int>(properties.get_int("api.burst"));
  if (options.limits.qps <= 0 || options.limits.burst <= 0) {
    throw InvalidArgument("property api.qps/api.burst: must be positive");
  }
  options.limits.timeout = positive(properties, "api.timeout");
  options.manifest.default_image = properties.get_string("default.image");
  if (!options.manifest.default_image.empty()) {
    validate_container_image(options.manifest.default_image);
  }
  options.logs_root = expand_home(properties.get_string("logs.root"));
  if (options.logs_root.empty() || options.logs_root.front() != '/') {
    throw InvalidArgument("property logs.root: must be absolute or start with ~");
  }
  options.logs_limit = properties.get_size("logs.limit");
  options.ttl_after_finished = std::chrono::duration_cast<std::chrono::seconds>(
      properties.get_duration("ttl.after.finished"));
  options.image_grace = positive(properties, "grace.image");
  options.config_grace = positive(properties, "grace.config");
  options.unschedulable_grace = positive(properties, "grace.unschedulable");
  options.quota_retry = positive(properties, "quota.retry");
  options.cancel_grace = cancel_grace_from(properties);
  options.manifest.termination_grace_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(options.cancel_grace).count();
  options.manifest.deadline_slack_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(properties.get_duration("deadline.slack"))
          .count();
  if (options.manifest.deadline_slack_seconds < 0) {
    throw InvalidArgument("property deadline.slack: must not be negative");
  }
  options.lost_rule = LostRule(lost_grace_from(properties));
  return options;
}

ClusterAccess resolve_cluster_access(const Location& location, const std::string& kubeconfig,
                                     const Credential& credential) {
  const auto query = [&](const char* key) {
    auto it = location.query.find(key);
    return it == location.query.end() ? std::string() : it->second;
  };
  ClusterAccess access;
  std::vector<KubeconfigFile> files = load_kubeconfigs(kubeconfig_paths(kubeconfig));
  if (!files.empty()) {
    access = resolve_context(files, query("context"));
  } else if (auto in_cluster = in_cluster_access(); in_cluster && query("context").empty()) {
    access = *in_cluster;
  } else if (!kubeconfig.empty()) {
    throw InvalidArgument("property kubeconfig: cannot read " + kubeconfig);
  } else if (location.host.empty()) {
    throw InvalidArgument(
        "kubernetes://: no kubeconfig ($KUBECONFIG, ~/.kube/config) and no in-cluster service "
        "account; give kubernetes://HOST:PORT with a token credential or a kubeconfig");
  } else {
    access.origin = "location " + location.to_string();
  }
  if (!location.host.empty()) {
    const std::string host =
        location.host.find(':') != std::string::npos ? "[" + location.host + "]" : location.host;
    access.server = "https://" + host + ":" + std::to_string(location.port.value_or(443));
  }
  if (std::string ns = query("namespace"); !ns.empty()) access.namespace_name = ns;
  if (!valid_namespace(access.namespace_name)) {
    throw InvalidArgument("namespace '" + access.namespace_name +
                          "': must be a DNS-1123 label (a-z, 0-9, '-', at most 63)");
  }
  if (credential.kind == Credential::Kind::kToken) {
    access.token = credential.secret;
    access.token_file.clear();
    access.exec.reset();
    access.user_entry = "token credential";
  } else if (credential.kind != Credential::Kind::kDefault) {
    throw InvalidArgument("kubernetes://: only a token credential or the kubeconfig's user works");
  }
  return access;
}

}  // namespace cuttle::detail
