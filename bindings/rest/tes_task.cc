// A posted TES task -> the JobRequest the job service runs (the field mapping table is in
// docs/rest.md, "GA4GH TES").
#include "bindings/rest/tes_task.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "bindings/rest/status_document.h"
#include "bindings/rest/tes_fields.h"
#include "bindings/rest/tes_files.h"
#include "cuttle/container.h"
#include "cuttle/error.h"
#include "cuttle/properties.h"

namespace cuttle::rest::tes {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxExecutors = 64;

// The backend_parameters Cuttle honours (keys are case-insensitive).
const std::vector<std::string> kBackendParameters = {"max_runtime", "retry_limit", "scheduler"};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool valid_env_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// Executor `index` as a step of the job; its stdout and stderr are also staged out to the
// task's log files.
JobStep executor_step(const Field& executor, std::size_t index, const Config& config,
                      const StagingLayout& layout, JobDescription& d, json& out) {
  if (!executor.json().is_object()) executor.fail("must be an object");
  for (const char* key : {"image", "command"}) {
    if (!executor.has(key)) executor.member(key).fail("is required");
  }
  JobStep step;
  const Field image = executor.member("image");
  step.container_image = image.text();
  try {
    validate_container_image(step.container_image);
  } catch (const InvalidJobDescription& e) {
    image.fail(e.reason());
  }
  const Field command = executor.member("command");
  std::vector<std::string> argv = command.texts(config.limits.max_arguments);
  if (argv.empty() || argv.front().empty()) command.fail("must name a program to run");
  step.executable = argv.front();
  step.arguments.assign(argv.begin() + 1, argv.end());
  out = {{"image", step.container_image}, {"command", argv}};
  if (executor.has("workdir")) {
    const Field workdir = executor.member("workdir");
    const std::string relative = sandbox_relative(workdir.text(), workdir.path(), true);
    // Inside the container: the sandbox is /work, its working directory by default.
    if (!relative.empty()) step.working_directory = std::string(kWork) + "/" + relative;
    out["workdir"] = workdir.text();
  }
  if (executor.has("stdin")) {
    const Field stdin_field = executor.member("stdin");
    step.stdin_path = sandbox_relative(stdin_field.text(), stdin_field.path());
    out["stdin"] = stdin_field.text();
  }
  for (const char* stream : {"stdout", "stderr"}) {
    std::string& target = std::string(stream) == "stdout" ? step.stdout_path : step.stderr_path;
    if (executor.has(stream)) {
      const Field path = executor.member(stream);
      target = sandbox_relative(path.text(), path.path());
      out[stream] = path.text();
    } else {
      target = ".tes-" + std::to_string(index) + "." + stream;
    }
    d.stage_out.push_back({target, layout.log(index, stream)});
  }
  if (executor.has("env")) {
    const Field env = executor.member("env");
    step.environment = env.text_map(config.limits.max_environment);
    for (const auto& [name, value] : step.environment) {
      if (!valid_env_name(name)) {
        throw RequestError(400, env.path() + "." + name, "is not a valid variable name");
      }
    }
    out["env"] = step.environment;
  }
  if (executor.has("ignore_error")) {
    step.ignore_error = executor.member("ignore_error").boolean();
    out["ignore_error"] = step.ignore_error;
  }
  return step;
}

// One executor in its /work is the job's own command (every adaptor runs that); several,
// or one with a working directory of its own, are the job's steps, run in order in one
// sandbox and stopped at the first failure unless it has ignore_error (docs/steps.md).
json add_executors(const Field& executors, const Config& config, const StagingLayout& layout,
                   JobDescription& d) {
  const std::size_t n = executors.array(kMaxExecutors);
  if (n == 0) executors.fail("needs at least one executor");
  json out = json::array();
  std::vector<JobStep> steps;
  for (std::size_t i = 0; i < n; ++i) {
    steps.push_back(executor_step(executors.element(i), i, config, layout, d, out.emplace_back()));
  }
  if (n > 1 || !steps.front().working_directory.empty()) {
    d.steps = std::move(steps);
    return out;
  }
  JobStep& only = steps.front();
  d.executable = std::move(only.executable);
  d.arguments = std::move(only.arguments);
  d.container_image = std::move(only.container_image);
  d.environment = std::move(only.environment);
  d.stdin_path = std::move(only.stdin_path);
  d.stdout_path = std::move(only.stdout_path);
  d.stderr_path = std::move(only.stderr_path);
  return out;
}

// cpu_cores, ram_gb, zones, backend_parameters; disk_gb and preemptible are accepted and
// noted in the task's system logs.
json add_resources(const Field& resources, const Config& config, JobRequest& request,
                   JobDescription& d, json& warnings) {
  if (!resources.json().is_object()) resources.fail("must be an object");
  json out = json::object();
  if (resources.has("cpu_cores")) {
    d.cores_per_task = static_cast<int>(resources.member("cpu_cores").integer(1, 1 << 20));
    d.tasks = 1;
    out["cpu_cores"] = *d.cores_per_task;
  }
  if (resources.has("ram_gb")) {
    const double gb = resources.member("ram_gb").number();
    if (gb <= 0 || gb > 1e6) resources.member("ram_gb").fail("must be between 0 and 1e6");
    d.memory_bytes = static_cast<std::uint64_t>(std::ceil(gb * 1e9));
    out["ram_gb"] = gb;
  }
  if (resources.has("disk_gb")) {
    const double gb = resources.member("disk_gb").number();
    if (gb < 0) resources.member("disk_gb").fail("must not be negative");
    out["disk_gb"] = gb;
    warnings.push_back(
        "resources.disk_gb is not enforced: the sandbox uses the file system "
        "it lies on");
  }
  if (resources.has("preemptible")) {
    out["preemptible"] = resources.member("preemptible").boolean();
    if (out["preemptible"].get<bool>()) {
      warnings.push_back("resources.preemptible has no meaning on these schedulers; ignored");
    }
  }
  if (resources.has("zones")) {
    const auto zones = resources.member("zones").texts(64);
    out["zones"] = zones;
    if (!zones.empty()) {
      request.queue = zones.front();
      d.queue = zones.front();
    }
    if (zones.size() > 1) {
      warnings.push_back("resources.zones: only the first zone (" + zones.front() +
                         ") is used, as the queue");
    }
  }
  const bool strict = resources.has("backend_parameters_strict") &&
                      resources.member("backend_parameters_strict").boolean();
  out["backend_parameters_strict"] = strict;
  if (!resources.has("backend_parameters")) return out;
  const Field parameters = resources.member("backend_parameters");
  json kept = json::object();
  for (const auto& [key, value] : parameters.text_map(256)) {
    const std::string name = lower(key);
    const std::string path = parameters.path() + "." + key;
    if (std::find(kBackendParameters.begin(), kBackendParameters.end(), name) ==
        kBackendParameters.end()) {
      if (strict) {
        throw RequestError(400, path,
                           "is not supported (backend_parameters_strict); supported: "
                           "max_runtime, retry_limit, scheduler");
      }
      // The spec: warn, and neither store nor return the key.
      warnings.push_back("resources.backend_parameters." + key + " is not supported; ignored");
      continue;
    }
    try {
      if (name == "max_runtime") {
        const auto seconds =
            std::chrono::duration_cast<std::chrono::seconds>(parse_duration(value));
        if (seconds.count() <= 0) throw InvalidArgument("must be positive");
        d.max_runtime = seconds;
        request.max_runtime = seconds;
      } else if (name == "retry_limit") {
        if (value.empty() || value.size() > 3 ||
            value.find_first_not_of("0123456789") != std::string::npos) {
          throw InvalidArgument("must be an integer between 0 and 100");
        }
        d.retry_limit = std::stoi(value);
        if (d.retry_limit > 100) throw InvalidArgument("must be an integer between 0 and 100");
        request.retry_limit = d.retry_limit;
      } else if (name == "scheduler") {
        if (!config.find_scheduler(value)) throw InvalidArgument("no scheduler named " + value);
        request.scheduler = value;
      }
    } catch (const Error& e) {
      throw RequestError(400, path, e.what());
    }
    kept[key] = value;
  }
  out["backend_parameters"] = kept;
  return out;
}

std::string now_rfc3339() { return format_time(Clock::now()); }

JobRequest translate(const json& body, const Config& config, const StagingLayout& layout) {
  const Field task(body, "", config.limits);
  JobRequest request;
  JobDescription d;
  json accepted = json::object();
  json warnings = json::array();
  request.name = task.text_of("name");
  for (const char* key : {"name", "description"}) {
    if (task.has(key)) accepted[key] = task.member(key).text();
  }
  if (!task.has("executors")) task.member("executors").fail("is required");
  accepted["executors"] = add_executors(task.member("executors"), config, layout, d);
  if (task.has("inputs")) accepted["inputs"] = add_inputs(task.member("inputs"), config, layout, d);
  if (task.has("outputs")) {
    accepted["outputs"] = add_outputs(task.member("outputs"), config, layout, d);
  }
  if (task.has("volumes")) {
    accepted["volumes"] = add_volumes(task.member("volumes"), config, layout, d);
  }
  if (task.has("resources")) {
    accepted["resources"] = add_resources(task.member("resources"), config, request, d, warnings);
  }
  if (task.has("tags")) {
    request.labels = task.member("tags").text_map(config.limits.max_environment);
    accepted["tags"] = request.labels;
  }
  if (request.scheduler.empty()) request.scheduler = config.tes.scheduler;
  accepted["creation_time"] = now_rfc3339();
  try {
    d.validate();
  } catch (const InvalidJobDescription& e) {
    throw RequestError(400, "(task) " + e.field(), e.reason());
  }
  request.contract = "tes";
  request.contract_document = {
      {"task", accepted}, {"staging", layout.root}, {"warnings", warnings}};
  request.description = std::move(d);
  return request;
}

}  // namespace

JobRequest parse_tes_task(const std::string& body, const Config& config,
                          const std::string& staging) {
  if (!json_depth_within(body, config.limits.max_json_depth)) {
    throw RequestError(400, "(body)", "nests too deeply");
  }
  const json document = json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    throw RequestError(400, "(body)", "must be a JSON object (a tesTask)");
  }
  StagingLayout layout{config.tes.staging_directory + "/" + staging};
  std::error_code ec;
  fs::create_directories(layout.root + "/inputs", ec);
  fs::create_directories(layout.root + "/logs", ec);
  if (ec) throw StagingFailed("cannot create " + layout.root + ": " + ec.message());
  try {
    return translate(document, config, layout);
  } catch (...) {
    fs::remove_all(layout.root, ec);
    throw;
  }
}

}  // namespace cuttle::rest::tes
