// JobDescription -> batch/v1 Job.
#include "adaptors/kubernetes/job_manifest.h"

#include <limits>

#include "adaptors/kubernetes/job_steps.h"
#include "adaptors/kubernetes/pod_wrapper.h"

#include "cuttle/error.h"
#include "cuttle/job_description_json.h"
#include "cuttle/sandbox.h"
#include "internal/job_key.h"

namespace cuttle::detail {
namespace {

constexpr const char* kNamePrefix = "cuttle-";
// The NVIDIA device plugin's extended resource, the one most clusters schedule GPUs by.
constexpr const char* kGpuResource = "nvidia.com/gpu";

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

bool valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

void require_utf8_fields(const JobDescription& d) {
  require_utf8(d.executable, "executable");
  for (std::size_t i = 0; i < d.arguments.size(); ++i) {
    require_utf8(d.arguments[i], "arguments[" + std::to_string(i) + "]");
  }
  for (const auto& [name, value] : d.environment) require_utf8(value, "environment." + name);
  require_utf8(d.working_directory, "working_directory");
  require_utf8(d.stdin_path, "stdin_path");
  require_utf8(d.stdout_path, "stdout_path");
  require_utf8(d.stderr_path, "stderr_path");
  require_utf8(d.name, "name");
  for (std::size_t i = 0; i < d.stage_in.size(); ++i) {
    require_utf8(d.stage_in[i].source, "stage_in[" + std::to_string(i) + "].source");
    require_utf8(d.stage_in[i].destination, "stage_in[" + std::to_string(i) + "].destination");
  }
  for (std::size_t i = 0; i < d.stage_out.size(); ++i) {
    require_utf8(d.stage_out[i].source, "stage_out[" + std::to_string(i) + "].source");
    require_utf8(d.stage_out[i].destination, "stage_out[" + std::to_string(i) + "].destination");
  }
}

// Every staging path is checked before anything is created (the copies happen later).
void confine_staging_paths(const JobDescription& d) {
  for (std::size_t i = 0; i < d.stage_in.size(); ++i) {
    const StagingEntry& e = d.stage_in[i];
    std::string relative = e.destination;
    if (relative.empty()) {
      relative = e.source;
      if (!relative.empty() && relative.front() == '/')
        relative = relative.substr(relative.find_last_of('/') + 1);
    }
    confine_relative_path(relative, "stage_in[" + std::to_string(i) + "].destination");
  }
  for (std::size_t i = 0; i < d.stage_out.size(); ++i) {
    confine_relative_path(d.stage_out[i].source, "stage_out[" + std::to_string(i) + "].source");
  }
}

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

// What every container of the job has: the sandbox, resources, the user.
nlohmann::json shared_container_fields(const JobDescription& description) {
  nlohmann::json container = {
      {"volumeMounts", nlohmann::json::array({{{"name", "work"}, {"mountPath", "/work"}}})}};
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
  if (description.gpus) {
    // An extended resource: limits only (requests default to them, and may not differ).
    resources["limits"][kGpuResource] = std::to_string(*description.gpus);
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
  return container;
}

// The one container of a job without steps.
nlohmann::json command_container(const JobDescription& description, const std::string& image,
                                 const nlohmann::json& base, const ManifestOptions& options) {
  nlohmann::json container = base;
  nlohmann::json command = nlohmann::json::array({description.executable});
  nlohmann::json args = description.arguments;
  if (uses_wrapper(description)) {
    command = {"/bin/sh", "-c",
               job_wrapper(std::chrono::seconds(options.termination_grace_seconds)), "sh"};
    args = {description.stdin_path,       description.stdout_path,
            description.stderr_path,      holds_for_staging(description) ? "1" : "0",
            allocation_text(description), description.executable};
    for (const std::string& a : description.arguments) args.push_back(a);
    container["terminationMessagePath"] = kTerminationLog;
    container["terminationMessagePolicy"] = "File";
  }
  container["name"] = kMainContainer;
  container["image"] = image;
  container["command"] = command;
  container["args"] = args;
  container["workingDir"] = working_directory(description);
  if (!description.environment.empty()) container["env"] = environment(description);
  return container;
}

}  // namespace

void require_utf8(const std::string& text, const std::string& field) {
  if (!valid_utf8(text)) {
    throw InvalidJobDescription(field,
                                "kubernetes:// passes it as a JSON string, which must be "
                                "UTF-8; it holds other bytes");
  }
}

std::string job_object_name(const std::string& job_key) { return kNamePrefix + job_key; }

bool holds_for_staging(const JobDescription& description) {
  return !description.stage_in.empty() || !description.stage_out.empty() ||
         !description.stdin_path.empty();
}

bool uses_wrapper(const JobDescription& description) {
  return holds_for_staging(description) || description.max_runtime.has_value();
}

std::string allocation_text(const JobDescription& description) {
  return description.max_runtime ? std::to_string(description.max_runtime->count()) : "";
}

std::int64_t backstop_seconds(std::int64_t allocation, const ManifestOptions& options) {
  const std::int64_t margin = options.termination_grace_seconds + options.deadline_slack_seconds;
  // A max_runtime of centuries must not wrap around into a deadline in the past.
  if (allocation > std::numeric_limits<std::int64_t>::max() - margin) {
    return std::numeric_limits<std::int64_t>::max();
  }
  return allocation + margin;
}

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
  const bool steps = !description.steps.empty();
  const std::string image =
      description.container_image.empty() ? options.default_image : description.container_image;
  if (image.empty() && !steps) {
    throw InvalidJobDescription("container_image",
                                "kubernetes:// runs containers: give an image (or set the "
                                "default.image property)");
  }
  if (!steps) validate_container_image(image);
  require_utf8_fields(description);
  confine_staging_paths(description);
  if (description.nodes && *description.nodes > 1) {
    throw InvalidJobDescription("nodes", "kubernetes:// runs one pod per job (nodes must be 1)");
  }
  if (description.container.network == false) {
    // docs/containers.md: no network, or Unsupported where it cannot be isolated. A pod
    // has no such switch (that is a NetworkPolicy of the namespace).
    throw Unsupported(
        "container.network: kubernetes:// cannot take a pod off the network; "
        "leave it unset and use a NetworkPolicy in the namespace");
  }
  if (!description.container.mounts.empty()) {
    throw InvalidJobDescription("container.mounts",
                                "kubernetes:// cannot mount directories of the submitting host");
  }
  nlohmann::json labels = {{kManagedByLabel, "cuttle"}, {kJobKeyLabel, job_key}};
  for (const auto& [key, value] : description.labels) {
    if (std::string problem = label_problem(key, value); !problem.empty()) {
      throw InvalidJobDescription("labels." + key, problem);
    }
    labels[key] = value;
  }
  const nlohmann::json base = shared_container_fields(description);
  nlohmann::json pod_spec = {
      {"restartPolicy", "Never"},
      {"terminationGracePeriodSeconds", options.termination_grace_seconds},
      {"volumes",
       nlohmann::json::array({{{"name", "work"}, {"emptyDir", nlohmann::json::object()}}})}};
  if (steps) {
    StepContainers containers =
        step_containers(description, options.default_image, base,
                        std::chrono::seconds(options.termination_grace_seconds));
    if (!containers.init.empty()) pod_spec["initContainers"] = std::move(containers.init);
    pod_spec["containers"] = nlohmann::json::array({std::move(containers.main)});
  } else {
    pod_spec["containers"] =
        nlohmann::json::array({command_container(description, image, base, options)});
  }
  nlohmann::json spec = {{"backoffLimit", 0},
                         {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod_spec}}}};
  nlohmann::json metadata = {{"name", job_object_name(job_key)}, {"labels", labels}};
  if (description.max_runtime) {
    // The wrappers enforce it from the command's start; the Job's own deadline, which
    // counts from the Job's start, is only the backstop of a pod that never ends.
    spec["activeDeadlineSeconds"] = backstop_seconds(description.max_runtime->count(), options);
    metadata["annotations"][kAllocationAnnotation] = allocation_text(description);
    metadata["annotations"][kAllocationInPodAnnotation] = allocation_text(description);
  }
  if (!description.name.empty()) metadata["annotations"][kNameAnnotation] = description.name;
  if (steps) metadata["annotations"][kStepsAnnotation] = std::to_string(description.steps.size());
  if (holds_for_staging(description)) {
    metadata["annotations"][kDescriptionAnnotation] = to_json_text(description);
  }
  return {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", metadata}, {"spec", spec}};
}

}  // namespace cuttle::detail
