// JobDescription -> batch/v1 Job.
#include "adaptors/kubernetes/job_manifest.h"

#include "cuttle/error.h"
#include "cuttle/sandbox.h"
#include "internal/job_key.h"

namespace cuttle::detail {
namespace {

constexpr const char* kNamePrefix = "cuttle-";

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A qualified name part or a label value: [A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?, <= 63.
bool label_text(const std::string& text) {
  if (text.size() > 63) return false;
  if (text.empty()) return true;
  if (!alnum(text.front()) || !alnum(text.back())) return false;
  for (char c : text) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool dns_subdomain(const std::string& text) {
  if (text.empty() || text.size() > 253) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return alnum(text.front()) && alnum(text.back());
}

std::string quantity_cpu(int cores) { return std::to_string(cores); }

nlohmann::json environment(const JobDescription& description) {
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [name, value] : description.environment) {
    env.push_back({{"name", name}, {"value", value}});
  }
  return env;
}

std::string working_directory(const JobDescription& description) {
  const std::string work(kContainerWorkDir);
  if (description.working_directory.empty()) return work;
  if (description.working_directory.front() == '/') return description.working_directory;
  return work + "/" + confine_relative_path(description.working_directory, "working_directory");
}

}  // namespace

std::string job_object_name(const std::string& job_key) { return kNamePrefix + job_key; }

std::string job_key_from_name(const std::string& name) {
  if (name.rfind(kNamePrefix, 0) != 0) return {};
  std::string key = name.substr(std::string(kNamePrefix).size());
  return is_job_key(key) ? key : std::string();
}

std::string label_problem(const std::string& key, const std::string& value) {
  std::string name = key;
  if (auto slash = key.find('/'); slash != std::string::npos) {
    if (!dns_subdomain(key.substr(0, slash))) return "the key's prefix is not a DNS subdomain";
    name = key.substr(slash + 1);
  }
  if (name.empty() || !label_text(name)) {
    return "the key must be 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric";
  }
  if (!label_text(value)) {
    return "the value must be at most 63 characters of [A-Za-z0-9-_.], starting and ending "
           "alphanumeric";
  }
  if (key == kJobKeyLabel || key == kManagedByLabel) return "the key is reserved by cuttle";
  return {};
}

nlohmann::json job_manifest(const JobDescription& description, const std::string& job_key,
                            const ManifestOptions& options) {
  const std::string image =
      description.container_image.empty() ? options.default_image : description.container_image;
  if (image.empty()) {
    throw InvalidJobDescription("container_image",
                                "kubernetes:// runs containers: give an image (or set the "
                                "default.image property)");
  }
  validate_container_image(image);
  if (description.nodes && *description.nodes > 1) {
    throw InvalidJobDescription("nodes", "kubernetes:// runs one pod per job (nodes must be 1)");
  }
  if (!description.container.mounts.empty()) {
    throw InvalidJobDescription("container.mounts",
                                "kubernetes:// cannot mount directories of the submitting host");
  }
  if (!description.stdin_path.empty()) {
    throw InvalidJobDescription("stdin_path", "kubernetes:// jobs read no stdin");
  }
  nlohmann::json labels = {{kManagedByLabel, "cuttle"}, {kJobKeyLabel, job_key}};
  for (const auto& [key, value] : description.labels) {
    if (std::string problem = label_problem(key, value); !problem.empty()) {
      throw InvalidJobDescription("labels." + key, problem);
    }
    labels[key] = value;
  }
  nlohmann::json container = {
      {"name", kMainContainer},
      {"image", image},
      {"command", nlohmann::json::array({description.executable})},
      {"args", description.arguments},
      {"workingDir", working_directory(description)},
      {"volumeMounts", nlohmann::json::array({{{"name", "work"}, {"mountPath", "/work"}}})}};
  if (!description.environment.empty()) container["env"] = environment(description);
  nlohmann::json resources = nlohmann::json::object();
  const int cores = description.tasks.value_or(1) * description.cores_per_task.value_or(1);
  if (description.tasks || description.cores_per_task) {
    resources["requests"]["cpu"] = quantity_cpu(cores);
    resources["limits"]["cpu"] = quantity_cpu(cores);
  }
  if (description.memory_bytes) {
    resources["requests"]["memory"] = std::to_string(*description.memory_bytes);
    resources["limits"]["memory"] = std::to_string(*description.memory_bytes);
  }
  if (!resources.empty()) container["resources"] = resources;
  if (!description.container.user.empty()) {
    const std::string& user = description.container.user;
    const auto colon = user.find(':');
    const std::string uid = user.substr(0, colon);
    if (uid.find_first_not_of("0123456789") != std::string::npos) {
      throw InvalidJobDescription("container.user", "kubernetes:// needs a numeric UID[:GID]");
    }
    container["securityContext"]["runAsUser"] = std::stoll(uid);
    if (colon != std::string::npos) {
      container["securityContext"]["runAsGroup"] = std::stoll(user.substr(colon + 1));
    }
  }
  nlohmann::json pod_spec = {
      {"restartPolicy", "Never"},
      {"terminationGracePeriodSeconds", options.termination_grace_seconds},
      {"containers", nlohmann::json::array({container})},
      {"volumes",
       nlohmann::json::array({{{"name", "work"}, {"emptyDir", nlohmann::json::object()}}})}};
  nlohmann::json spec = {{"backoffLimit", 0},
                         {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod_spec}}}};
  if (description.max_runtime) spec["activeDeadlineSeconds"] = description.max_runtime->count();
  nlohmann::json metadata = {{"name", job_object_name(job_key)}, {"labels", labels}};
  if (!description.name.empty()) metadata["annotations"][kNameAnnotation] = description.name;
  return {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", metadata}, {"spec", spec}};
}

}  // namespace cuttle::detail
