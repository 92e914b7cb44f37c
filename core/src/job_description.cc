// JobDescription::validate: every rule a description must satisfy before any adaptor
// sees it, each failure naming its field.
#include "cuttle/job_description.h"

#include <algorithm>

#include "cuttle/container.h"
#include "cuttle/error.h"

namespace cuttle {
namespace {

// The wrapper renders one block per step; a bound keeps a hostile description from
// rendering an unbounded script.
constexpr std::size_t kMaxSteps = 1000;

void no_nul(const std::string& value, const std::string& field) {
  if (value.find('\0') != std::string::npos) {
    throw InvalidJobDescription(field, "contains a NUL byte");
  }
}

bool is_env_name(const std::string& name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

void positive(const std::optional<int>& value, const char* field) {
  if (value && *value <= 0) {
    throw InvalidJobDescription(field, "must be at least 1, got " + std::to_string(*value));
  }
}

// GPU types and node features are names schedulers compare literally: no operators, no
// spaces, nothing a directive parser could read as syntax.
void plain_name(const std::string& value, const std::string& field, const char* what,
                const char* hint = "") {
  if (value.empty()) throw InvalidJobDescription(field, "is empty");
  if (value.size() > 64) throw InvalidJobDescription(field, "is longer than 64 characters");
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      throw InvalidJobDescription(
          field, std::string(what) + " may hold only letters, digits, '_', '.' and '-'" + hint);
    }
  }
}

// Account, QoS and reservation names: one word of printable characters, not an option.
void word(const std::string& value, const char* field) {
  if (value.empty()) return;
  if (value.size() > 256) throw InvalidJobDescription(field, "is longer than 256 characters");
  if (value[0] == '-') throw InvalidJobDescription(field, "must not start with '-'");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) throw InvalidJobDescription(field, "contains a control character");
    if (c == ' ') throw InvalidJobDescription(field, "contains a space");
  }
}

void check_resources(const JobDescription& d) {
  positive(d.gpus, "gpus");
  if (!d.gpu_type.empty()) {
    if (!d.gpus) throw InvalidJobDescription("gpu_type", "needs gpus (how many per node)");
    plain_name(d.gpu_type, "gpu_type", "a GPU type");
  }
  word(d.account, "account");
  word(d.qos, "qos");
  word(d.reservation, "reservation");
  for (std::size_t i = 0; i < d.constraints.size(); ++i) {
    plain_name(d.constraints[i], "constraints[" + std::to_string(i) + "]", "a node feature",
               "; for an expression (a|b, [r1|r2]) use scheduler_arguments");
  }
}

// The rules a command shares with every step: `prefix` is "" for the job's own fields
// and "steps[N]." for a step's.
void check_command(const std::string& executable, const std::vector<std::string>& arguments,
                   const std::string& prefix) {
  if (executable.empty()) throw InvalidJobDescription(prefix + "executable", "is empty");
  no_nul(executable, prefix + "executable");
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    no_nul(arguments[i], prefix + "arguments[" + std::to_string(i) + "]");
  }
}

void check_environment(const std::map<std::string, std::string>& environment,
                       const std::string& prefix) {
  for (const auto& [key, value] : environment) {
    if (!is_env_name(key)) {
      throw InvalidJobDescription(prefix + "environment",
                                  "'" + key + "' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
    }
    no_nul(value, prefix + "environment." + key);
  }
}

// A step's image is checked like the job's, the refusal naming the step's field.
void check_step_image(const std::string& image, const std::string& prefix) {
  try {
    validate_container_image(image);
  } catch (const InvalidJobDescription& e) {
    throw InvalidJobDescription(prefix + e.field(), e.reason());
  }
}

void check_step(const JobStep& step, const std::string& prefix) {
  if (step.container_image.empty() || !step.executable.empty()) {
    check_command(step.executable, step.arguments, prefix);
  } else if (!step.arguments.empty()) {
    // A container step without an executable runs its image's own command.
    throw InvalidJobDescription(prefix + "arguments", "given without an executable");
  }
  check_environment(step.environment, prefix);
  if (!step.container_image.empty()) check_step_image(step.container_image, prefix);
  no_nul(step.working_directory, prefix + "working_directory");
  no_nul(step.stdin_path, prefix + "stdin_path");
  no_nul(step.stdout_path, prefix + "stdout_path");
  no_nul(step.stderr_path, prefix + "stderr_path");
}

// With steps the job's own command is theirs: a job-level one would be silently ignored.
void check_steps(const JobDescription& d) {
  const char* why = "must be empty when steps are given (each step has its own)";
  if (!d.executable.empty()) throw InvalidJobDescription("executable", why);
  if (!d.arguments.empty()) throw InvalidJobDescription("arguments", why);
  if (!d.container_image.empty()) throw InvalidJobDescription("container_image", why);
  if (!d.stdin_path.empty()) throw InvalidJobDescription("stdin_path", why);
  if (d.steps.size() > kMaxSteps) {
    throw InvalidJobDescription("steps", "at most " + std::to_string(kMaxSteps) + " steps");
  }
  for (std::size_t i = 0; i < d.steps.size(); ++i) {
    check_step(d.steps[i], "steps[" + std::to_string(i) + "].");
  }
}

constexpr const char* kLaunchers[] = {"none", "srun", "mpirun", "mpiexec"};

// Module names reach `module load` quoted, byte for byte; only what `module` itself would
// misread is refused: an empty name, an option, a line break.
void check_modules(const std::vector<std::string>& modules) {
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const std::string field = "modules[" + std::to_string(i) + "]";
    if (modules[i].empty()) throw InvalidJobDescription(field, "is empty");
    if (modules[i][0] == '-') throw InvalidJobDescription(field, "must not start with '-'");
    for (unsigned char c : modules[i]) {
      if (c < 0x20 || c == 0x7f) throw InvalidJobDescription(field, "contains a control character");
    }
  }
}

// The launch fields shape the wrapper's shell around one command on the host.
void check_launch(const JobDescription& d) {
  if (!d.launcher.empty() && std::ranges::find(kLaunchers, d.launcher) == std::end(kLaunchers)) {
    throw InvalidJobDescription("launcher",
                                "'" + d.launcher + "' is not one of none, srun, mpirun, mpiexec");
  }
  no_nul(d.pre_launch, "pre_launch");
  no_nul(d.post_launch, "post_launch");
  check_modules(d.modules);
  if (!d.steps.empty()) {
    const char* why = "is not taken with steps (docs/launchers.md)";
    if (d.has_launcher()) throw InvalidJobDescription("launcher", why);
    if (!d.pre_launch.empty()) throw InvalidJobDescription("pre_launch", why);
    if (!d.post_launch.empty()) throw InvalidJobDescription("post_launch", why);
    if (!d.modules.empty()) throw InvalidJobDescription("modules", why);
    if (!d.inherit_environment) throw InvalidJobDescription("inherit_environment", why);
  }
  if (!d.container_image.empty()) {
    const char* why =
        "shapes the host's shell, but a container job's command runs in its image "
        "(docs/launchers.md)";
    if (d.has_launcher()) throw InvalidJobDescription("launcher", why);
    if (!d.pre_launch.empty()) throw InvalidJobDescription("pre_launch", why);
    if (!d.post_launch.empty()) throw InvalidJobDescription("post_launch", why);
    if (!d.modules.empty()) throw InvalidJobDescription("modules", why);
  }
}

void check_staging(const std::vector<StagingEntry>& entries, const std::string& list) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string field = list + "[" + std::to_string(i) + "]";
    if (entries[i].source.empty()) throw InvalidJobDescription(field + ".source", "is empty");
    no_nul(entries[i].source, field + ".source");
    no_nul(entries[i].destination, field + ".destination");
  }
}

}  // namespace

bool JobDescription::has_launcher() const { return !launcher.empty() && launcher != "none"; }

bool JobDescription::shapes_launch() const {
  return has_launcher() || !pre_launch.empty() || !post_launch.empty() || !modules.empty() ||
         !inherit_environment;
}

bool JobDescription::uses_containers() const {
  if (!container_image.empty()) return true;
  for (const JobStep& step : steps) {
    if (!step.container_image.empty()) return true;
  }
  return false;
}

void JobDescription::validate() const {
  if (steps.empty()) {
    check_command(executable, arguments, "");
  } else {
    check_steps(*this);
  }
  no_nul(name, "name");
  if (name.find('\n') != std::string::npos || name.find('\r') != std::string::npos) {
    throw InvalidJobDescription("name", "contains a line break");
  }
  check_environment(environment, "");
  no_nul(working_directory, "working_directory");
  no_nul(stdin_path, "stdin_path");
  no_nul(stdout_path, "stdout_path");
  no_nul(stderr_path, "stderr_path");
  no_nul(queue, "queue");
  if (queue.find_first_of("\n\r") != std::string::npos) {
    throw InvalidJobDescription("queue", "contains a line break");
  }
  if (max_runtime && max_runtime->count() <= 0) {
    throw InvalidJobDescription("max_runtime", "must be positive");
  }
  positive(nodes, "nodes");
  positive(tasks, "tasks");
  positive(cores_per_task, "cores_per_task");
  if (memory_bytes && *memory_bytes == 0)
    throw InvalidJobDescription("memory_bytes", "must be positive");
  check_resources(*this);
  check_launch(*this);
  validate_dependencies(dependencies);
  for (std::size_t i = 0; i < scheduler_arguments.size(); ++i) {
    const std::string field = "scheduler_arguments[" + std::to_string(i) + "]";
    no_nul(scheduler_arguments[i], field);
    if (scheduler_arguments[i].find_first_of("\n\r") != std::string::npos) {
      throw InvalidJobDescription(field, "contains a line break");
    }
    if (scheduler_arguments[i].empty()) throw InvalidJobDescription(field, "is empty");
  }
  if (uses_containers()) {
    if (!container_image.empty()) validate_container_image(container_image);
    validate_container_options(container);
    // With steps the job's working directory is the default of its host steps.
    if (!container_image.empty() && !working_directory.empty()) {
      throw InvalidJobDescription("working_directory",
                                  "a container job runs in /work, its sandbox; leave it empty");
    }
  } else if (container != ContainerOptions{}) {
    throw InvalidJobDescription("container",
                                "runtime, mounts, network or user are set but "
                                "container_image is empty");
  }
  check_staging(stage_in, "stage_in");
  check_staging(stage_out, "stage_out");
  if (retry_limit < 0) throw InvalidJobDescription("retry_limit", "must not be negative");
  if (retry_limit > 100) throw InvalidJobDescription("retry_limit", "must be at most 100");
  if (array) {
    array->validate();
    if (!stdout_path.empty() || !stderr_path.empty()) {
      throw InvalidJobDescription(stdout_path.empty() ? "stderr_path" : "stdout_path",
                                  "an array's elements each write their own (docs/arrays.md); "
                                  "leave it empty");
    }
    if (retry_limit != 0) {
      throw InvalidJobDescription("retry_limit", "an array is not retried; leave it 0");
    }
  }
  for (const auto& [key, value] : labels) {
    if (key.empty()) throw InvalidJobDescription("labels", "a label name is empty");
    no_nul(key, "labels");
    no_nul(value, "labels." + key);
  }
}

}  // namespace cuttle
