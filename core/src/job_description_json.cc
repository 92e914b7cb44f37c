// JobDescription <-> JSON, with nlohmann::json kept out of the public header.
#include "cuttle/job_description_json.h"

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>

#include "cuttle/container.h"
#include "cuttle/error.h"
#include "cuttle/properties.h"

namespace cuttle {
namespace {

using nlohmann::json;

const char* const kFields[] = {"name",
                               "executable",
                               "arguments",
                               "environment",
                               "working_directory",
                               "stdin",
                               "stdout",
                               "stderr",
                               "queue",
                               "max_runtime",
                               "nodes",
                               "tasks",
                               "cores_per_task",
                               "memory",
                               "gpus",
                               "gpu_type",
                               "account",
                               "qos",
                               "reservation",
                               "constraints",
                               "exclusive_nodes",
                               "scheduler_arguments",
                               "container_image",
                               "container",
                               "stage_in",
                               "stage_out",
                               "retry_limit",
                               "labels",
                               "steps",
                               "dependencies",
                               "array",
                               "launcher",
                               "pre_launch",
                               "post_launch",
                               "modules",
                               "inherit_environment"};

const char* const kDependencyFields[] = {"condition", "job_id"};

const char* const kStepFields[] = {
    "executable", "arguments", "container_image", "environment", "working_directory",
    "stdin",      "stdout",    "stderr",          "ignore_error"};

json staging_json(const std::vector<StagingEntry>& entries) {
  json out = json::array();
  for (const auto& e : entries)
    out.push_back({{"source", e.source}, {"destination", e.destination}});
  return out;
}

// `prefix` names where the object is ("steps[1]."), for the error.
template <typename T>
T field(const json& object, const std::string& name, const std::string& prefix = "") {
  try {
    return object.at(name).get<T>();
  } catch (const json::exception& e) {
    throw InvalidJobDescription(prefix + name, std::string("wrong type: ") + e.what());
  }
}

std::vector<StagingEntry> staging_from(const json& object, const std::string& name) {
  const json& list = object.at(name);
  if (!list.is_array())
    throw InvalidJobDescription(name, "expected a list of {source, destination}");
  std::vector<StagingEntry> entries;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = name + "[" + std::to_string(i) + "]";
    if (list[i].is_string()) {
      entries.push_back({list[i].get<std::string>(), ""});
      continue;
    }
    if (!list[i].is_object() || !list[i].contains("source") || !list[i]["source"].is_string()) {
      throw InvalidJobDescription(where + ".source", "expected a string");
    }
    StagingEntry entry{list[i]["source"].get<std::string>(), ""};
    if (list[i].contains("destination")) {
      if (!list[i]["destination"].is_string())
        throw InvalidJobDescription(where + ".destination", "expected a string");
      entry.destination = list[i]["destination"].get<std::string>();
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// A whole number that fits an int: 2.5 GPUs or 1e12 are not quietly made into others.
int count_from(const json& object, const std::string& name) {
  const json& value = object.at(name);
  if (!value.is_number_integer() || value.get<std::int64_t>() < INT_MIN ||
      value.get<std::int64_t>() > INT_MAX) {
    throw InvalidJobDescription(name, "expected a whole number, got " + value.dump());
  }
  return value.get<int>();
}

// "10m" or 600 (seconds).
std::chrono::seconds runtime_from(const json& value) {
  try {
    if (value.is_number_integer()) return std::chrono::seconds(value.get<std::int64_t>());
    if (value.is_string()) {
      return std::chrono::duration_cast<std::chrono::seconds>(
          parse_duration(value.get<std::string>()));
    }
  } catch (const InvalidArgument& e) {
    throw InvalidJobDescription("max_runtime", e.what());
  }
  throw InvalidJobDescription("max_runtime", "expected a duration such as \"10m\" or seconds");
}

std::uint64_t memory_from(const json& value) {
  try {
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_string()) return parse_size(value.get<std::string>());
  } catch (const InvalidArgument& e) {
    throw InvalidJobDescription("memory", e.what());
  }
  throw InvalidJobDescription("memory", "expected a size such as \"4G\" or bytes");
}

template <std::size_t N>
void refuse_unknown_fields(const json& object, const char* const (&fields)[N],
                           const std::string& prefix = "") {
  for (const auto& [key, value] : object.items()) {
    if (std::find(std::begin(fields), std::end(fields), key) != std::end(fields)) continue;
    std::string valid;
    for (const char* f : fields) valid += (valid.empty() ? "" : ", ") + std::string(f);
    throw InvalidJobDescription(prefix + key, "unknown field; valid fields: " + valid);
  }
}

// {"runtime": "podman", "mounts": ["HOST:CONTAINER"], "network": false, "user": "1000"}
json container_json(const ContainerOptions& c) {
  json out = json::object();
  if (c.runtime != ContainerRuntime::kAuto) out["runtime"] = to_string(c.runtime);
  if (!c.mounts.empty()) {
    json mounts = json::array();
    for (const ContainerMount& m : c.mounts) mounts.push_back(m.host_path + ":" + m.container_path);
    out["mounts"] = mounts;
  }
  if (c.network) out["network"] = *c.network;
  if (!c.user.empty()) out["user"] = c.user;
  return out;
}

ContainerOptions container_from(const json& in) {
  if (!in.is_object()) throw InvalidJobDescription("container", "expected an object");
  const char* const known[] = {"runtime", "mounts", "network", "user"};
  refuse_unknown_fields(in, known, "container.");
  ContainerOptions c;
  try {
    if (in.contains("runtime")) {
      c.runtime = parse_container_runtime(field<std::string>(in, "runtime", "container."));
    }
    if (in.contains("mounts")) {
      for (const std::string& m : field<std::vector<std::string>>(in, "mounts", "container.")) {
        c.mounts.push_back(parse_container_mount(m));
      }
    }
  } catch (const InvalidArgument& e) {
    throw InvalidJobDescription("container", e.what());
  }
  if (in.contains("network") && !in["network"].is_null()) {
    c.network = field<bool>(in, "network", "container.");
  }
  if (in.contains("user")) c.user = field<std::string>(in, "user", "container.");
  return c;
}

json steps_json(const std::vector<JobStep>& steps) {
  json out = json::array();
  for (const JobStep& step : steps) {
    json s = {{"executable", step.executable}};
    if (!step.arguments.empty()) s["arguments"] = step.arguments;
    if (!step.container_image.empty()) s["container_image"] = step.container_image;
    if (!step.environment.empty()) s["environment"] = step.environment;
    if (!step.working_directory.empty()) s["working_directory"] = step.working_directory;
    if (!step.stdin_path.empty()) s["stdin"] = step.stdin_path;
    if (!step.stdout_path.empty()) s["stdout"] = step.stdout_path;
    if (!step.stderr_path.empty()) s["stderr"] = step.stderr_path;
    if (step.ignore_error) s["ignore_error"] = true;
    out.push_back(std::move(s));
  }
  return out;
}

JobStep step_from(const json& in, const std::string& prefix) {
  if (!in.is_object())
    throw InvalidJobDescription(prefix.substr(0, prefix.size() - 1),
                                "expected an object {executable, ...}");
  refuse_unknown_fields(in, kStepFields, prefix);
  JobStep step;
  auto has = [&](const char* key) { return in.contains(key) && !in[key].is_null(); };
  auto text = [&](const char* key) { return field<std::string>(in, key, prefix); };
  if (has("executable")) step.executable = text("executable");
  if (has("arguments")) step.arguments = field<std::vector<std::string>>(in, "arguments", prefix);
  if (has("container_image")) step.container_image = text("container_image");
  if (has("environment"))
    step.environment = field<std::map<std::string, std::string>>(in, "environment", prefix);
  if (has("working_directory")) step.working_directory = text("working_directory");
  if (has("stdin")) step.stdin_path = text("stdin");
  if (has("stdout")) step.stdout_path = text("stdout");
  if (has("stderr")) step.stderr_path = text("stderr");
  if (has("ignore_error")) step.ignore_error = field<bool>(in, "ignore_error", prefix);
  return step;
}

std::vector<JobStep> steps_from(const json& list) {
  if (!list.is_array()) throw InvalidJobDescription("steps", "expected a list of steps");
  std::vector<JobStep> steps;
  for (std::size_t i = 0; i < list.size(); ++i) {
    steps.push_back(step_from(list[i], "steps[" + std::to_string(i) + "]."));
  }
  return steps;
}

// [{"condition": "after_ok", "job_id": "1234"}, ...]
json dependencies_json(const std::vector<JobDependency>& dependencies) {
  json out = json::array();
  for (const JobDependency& d : dependencies) {
    out.push_back({{"condition", std::string(to_string(d.condition))}, {"job_id", d.job_id}});
  }
  return out;
}

std::vector<JobDependency> dependencies_from(const json& list) {
  if (!list.is_array()) {
    throw InvalidJobDescription("dependencies",
                                "expected a list of {\"condition\": ..., \"job_id\": ...}");
  }
  std::vector<JobDependency> dependencies;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string prefix = "dependencies[" + std::to_string(i) + "].";
    const json& in = list[i];
    if (!in.is_object()) {
      throw InvalidJobDescription("dependencies[" + std::to_string(i) + "]", "expected an object");
    }
    refuse_unknown_fields(in, kDependencyFields, prefix);
    JobDependency dependency;
    const auto word = field<std::string>(in, "condition", prefix);
    const auto condition = dependency_condition_from(word);
    if (!condition) {
      throw InvalidJobDescription(
          prefix + "condition",
          "unknown condition '" + word + "' (after_ok, after_any, after_not_ok, after_start)");
    }
    dependency.condition = *condition;
    dependency.job_id = field<std::string>(in, "job_id", prefix);
    dependencies.push_back(std::move(dependency));
  }
  return dependencies;
}

}  // namespace

std::string to_json_text(const JobDescription& d, int indent) {
  json out = json::object();
  auto text = [&](const char* key, const std::string& value) {
    if (!value.empty()) out[key] = value;
  };
  text("name", d.name);
  text("executable", d.executable);
  if (!d.arguments.empty()) out["arguments"] = d.arguments;
  if (!d.environment.empty()) out["environment"] = d.environment;
  text("working_directory", d.working_directory);
  text("stdin", d.stdin_path);
  text("stdout", d.stdout_path);
  text("stderr", d.stderr_path);
  text("queue", d.queue);
  if (d.max_runtime) out["max_runtime"] = d.max_runtime->count();
  if (d.nodes) out["nodes"] = *d.nodes;
  if (d.tasks) out["tasks"] = *d.tasks;
  if (d.cores_per_task) out["cores_per_task"] = *d.cores_per_task;
  if (d.memory_bytes) out["memory"] = *d.memory_bytes;
  if (d.gpus) out["gpus"] = *d.gpus;
  text("gpu_type", d.gpu_type);
  text("account", d.account);
  text("qos", d.qos);
  text("reservation", d.reservation);
  if (!d.constraints.empty()) out["constraints"] = d.constraints;
  if (d.exclusive_nodes) out["exclusive_nodes"] = true;
  if (!d.scheduler_arguments.empty()) out["scheduler_arguments"] = d.scheduler_arguments;
  text("container_image", d.container_image);
  if (d.container != ContainerOptions{}) out["container"] = container_json(d.container);
  if (!d.stage_in.empty()) out["stage_in"] = staging_json(d.stage_in);
  if (!d.stage_out.empty()) out["stage_out"] = staging_json(d.stage_out);
  if (d.retry_limit != 0) out["retry_limit"] = d.retry_limit;
  if (!d.labels.empty()) out["labels"] = d.labels;
  if (!d.steps.empty()) out["steps"] = steps_json(d.steps);
  if (!d.dependencies.empty()) out["dependencies"] = dependencies_json(d.dependencies);
  if (d.array) out["array"] = d.array->to_string();
  if (d.has_launcher()) out["launcher"] = d.launcher;
  text("pre_launch", d.pre_launch);
  text("post_launch", d.post_launch);
  if (!d.modules.empty()) out["modules"] = d.modules;
  if (!d.inherit_environment) out["inherit_environment"] = false;
  return out.dump(indent);
}

JobDescription job_description_from_json(std::string_view text) {
  json in = json::parse(text, nullptr, false);
  if (in.is_discarded()) throw InvalidJobDescription("(document)", "not valid JSON");
  if (!in.is_object()) throw InvalidJobDescription("(document)", "expected a JSON object");
  refuse_unknown_fields(in, kFields);
  JobDescription d;
  auto has = [&](const char* key) { return in.contains(key) && !in[key].is_null(); };
  if (has("name")) d.name = field<std::string>(in, "name");
  if (has("executable")) d.executable = field<std::string>(in, "executable");
  if (has("arguments")) d.arguments = field<std::vector<std::string>>(in, "arguments");
  if (has("environment"))
    d.environment = field<std::map<std::string, std::string>>(in, "environment");
  if (has("working_directory")) d.working_directory = field<std::string>(in, "working_directory");
  if (has("stdin")) d.stdin_path = field<std::string>(in, "stdin");
  if (has("stdout")) d.stdout_path = field<std::string>(in, "stdout");
  if (has("stderr")) d.stderr_path = field<std::string>(in, "stderr");
  if (has("queue")) d.queue = field<std::string>(in, "queue");
  if (has("max_runtime")) d.max_runtime = runtime_from(in["max_runtime"]);
  if (has("nodes")) d.nodes = field<int>(in, "nodes");
  if (has("tasks")) d.tasks = field<int>(in, "tasks");
  if (has("cores_per_task")) d.cores_per_task = field<int>(in, "cores_per_task");
  if (has("memory")) d.memory_bytes = memory_from(in["memory"]);
  if (has("gpus")) d.gpus = count_from(in, "gpus");
  if (has("gpu_type")) d.gpu_type = field<std::string>(in, "gpu_type");
  if (has("account")) d.account = field<std::string>(in, "account");
  if (has("qos")) d.qos = field<std::string>(in, "qos");
  if (has("reservation")) d.reservation = field<std::string>(in, "reservation");
  if (has("constraints")) d.constraints = field<std::vector<std::string>>(in, "constraints");
  if (has("exclusive_nodes")) d.exclusive_nodes = field<bool>(in, "exclusive_nodes");
  if (has("scheduler_arguments"))
    d.scheduler_arguments = field<std::vector<std::string>>(in, "scheduler_arguments");
  if (has("container_image")) d.container_image = field<std::string>(in, "container_image");
  if (has("container")) d.container = container_from(in["container"]);
  if (has("stage_in")) d.stage_in = staging_from(in, "stage_in");
  if (has("stage_out")) d.stage_out = staging_from(in, "stage_out");
  if (has("retry_limit")) d.retry_limit = field<int>(in, "retry_limit");
  if (has("labels")) d.labels = field<std::map<std::string, std::string>>(in, "labels");
  if (has("steps")) d.steps = steps_from(in["steps"]);
  if (has("dependencies")) d.dependencies = dependencies_from(in["dependencies"]);
  if (has("array")) d.array = ArraySpec::parse(field<std::string>(in, "array"));
  if (has("launcher")) d.launcher = field<std::string>(in, "launcher");
  if (has("pre_launch")) d.pre_launch = field<std::string>(in, "pre_launch");
  if (has("post_launch")) d.post_launch = field<std::string>(in, "post_launch");
  if (has("modules")) d.modules = field<std::vector<std::string>>(in, "modules");
  if (has("inherit_environment")) d.inherit_environment = field<bool>(in, "inherit_environment");
  return d;
}

}  // namespace cuttle
