// JobDescription::steps -> the pod's init containers and main container.
#include "adaptors/kubernetes/job_steps.h"

#include "adaptors/kubernetes/job_manifest.h"
#include "adaptors/kubernetes/pod_wrapper.h"
#include "cuttle/container.h"
#include "cuttle/error.h"
#include "cuttle/sandbox.h"

namespace cuttle::detail {
namespace {

const nlohmann::json kNull;

const nlohmann::json& at(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string flag(bool value) { return value ? "1" : "0"; }

// A step's path as the container sees it: relative ones are in the sandbox (/work).
std::string in_pod(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return std::string(kContainerWorkDir) + "/" + path;
}

std::string step_working_directory(const JobStep& step, const std::string& field) {
  const std::string work(kContainerWorkDir);
  if (step.working_directory.empty()) return work;
  if (step.working_directory.front() == '/') return step.working_directory;
  return work + "/" + confine_relative_path(step.working_directory, field);
}

void require_step_utf8(const JobStep& step, const std::string& prefix) {
  require_utf8(step.executable, prefix + "executable");
  for (std::size_t i = 0; i < step.arguments.size(); ++i) {
    require_utf8(step.arguments[i], prefix + "arguments[" + std::to_string(i) + "]");
  }
  for (const auto& [name, value] : step.environment) {
    require_utf8(value, prefix + "environment." + name);
  }
  require_utf8(step.working_directory, prefix + "working_directory");
  require_utf8(step.stdin_path, prefix + "stdin_path");
  require_utf8(step.stdout_path, prefix + "stdout_path");
  require_utf8(step.stderr_path, prefix + "stderr_path");
}

// The job's environment with the step's on top (the step's value wins).
nlohmann::json step_environment(const JobDescription& d, const JobStep& step) {
  std::map<std::string, std::string> merged = d.environment;
  for (const auto& [name, value] : step.environment) merged[name] = value;
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [name, value] : merged) env.push_back({{"name", name}, {"value", value}});
  return env;
}

}  // namespace

StepContainers step_containers(const JobDescription& d, const std::string& default_image,
                               const nlohmann::json& base, std::chrono::seconds cancel_grace) {
  const bool staged = !d.stage_in.empty() || !d.stage_out.empty();
  // A staged job's own output files are in the pod, filled by the steps without their own.
  const std::string job_out = staged ? in_pod(d.stdout_path) : std::string();
  const std::string job_err = staged ? in_pod(d.stderr_path) : std::string();
  StepContainers result;
  for (std::size_t n = 0; n < d.steps.size(); ++n) {
    const JobStep& step = d.steps[n];
    const std::string prefix = "steps[" + std::to_string(n) + "].";
    const bool first = n == 0;
    const bool last = n + 1 == d.steps.size();
    const std::string image = step.container_image.empty() ? default_image : step.container_image;
    if (image.empty()) {
      throw InvalidJobDescription(prefix + "container_image",
                                  "kubernetes:// runs every step in a container: give the step "
                                  "an image (or set the default.image property, the image of "
                                  "steps without one)");
    }
    validate_container_image(image);
    if (step.executable.empty()) {
      throw Unsupported(prefix +
                        "executable: kubernetes:// runs each step under /bin/sh in its "
                        "image and cannot run an image's own command; name the program");
    }
    require_step_utf8(step, prefix);
    nlohmann::json args = {flag(first && staged),
                           first ? job_out : std::string(),
                           first ? job_err : std::string(),
                           flag(last && staged),
                           flag(last),
                           flag(step.ignore_error),
                           in_pod(step.stdin_path),
                           step.stdout_path.empty() ? job_out : in_pod(step.stdout_path),
                           flag(step.stdout_path.empty()),
                           step.stderr_path.empty() ? job_err : in_pod(step.stderr_path),
                           flag(step.stderr_path.empty()),
                           allocation_text(d),
                           step.executable};
    for (const std::string& a : step.arguments) args.push_back(a);
    nlohmann::json container = base;
    container["name"] = last ? std::string(kMainContainer) : "step" + std::to_string(n);
    container["image"] = image;
    container["command"] = {"/bin/sh", "-c", step_wrapper(n, last, cancel_grace), "sh"};
    container["args"] = std::move(args);
    container["workingDir"] = step_working_directory(step, prefix + "working_directory");
    container["terminationMessagePath"] = kTerminationLog;
    container["terminationMessagePolicy"] = "File";
    nlohmann::json env = step_environment(d, step);
    if (!env.empty()) container["env"] = std::move(env);
    if (last) {
      result.main = std::move(container);
    } else {
      result.init.push_back(std::move(container));
    }
  }
  return result;
}

std::vector<std::string> containers_in_order(const nlohmann::json& pod) {
  std::vector<std::string> names;
  for (const char* list : {"initContainers", "containers"}) {
    const nlohmann::json& containers = at(at(pod, "spec"), list);
    if (!containers.is_array()) continue;
    for (const nlohmann::json& c : containers) {
      if (at(c, "name").is_string()) names.push_back(at(c, "name").get<std::string>());
    }
  }
  return names;
}

std::string first_container(const nlohmann::json& pod) {
  std::vector<std::string> names = containers_in_order(pod);
  return names.empty() ? std::string(kMainContainer) : names.front();
}

bool container_running(const nlohmann::json& pod, const std::string& name) {
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const nlohmann::json& statuses = at(at(pod, "status"), list);
    if (!statuses.is_array()) continue;
    for (const nlohmann::json& s : statuses) {
      if (at(s, "name") == name) return at(at(s, "state"), "running").is_object();
    }
  }
  return false;
}

}  // namespace cuttle::detail
