// A job with an image, from submit to its record: the runtime resolved on the host that
// runs it, the commands its wrapper runs, and the runtime's own failure read back from
// the wrapper's record. Every adaptor that runs the wrapper gets containers from here.
#include "cuttle/error.h"
#include "internal/container_runtime.h"

namespace cuttle::detail {
namespace {

const ContainerRuntimeTable* table_for_program(std::string_view program) {
  for (ContainerRuntime runtime :
       {ContainerRuntime::kPodman, ContainerRuntime::kDocker, ContainerRuntime::kApptainer,
        ContainerRuntime::kSingularity, ContainerRuntime::kCharliecloud}) {
    const ContainerRuntimeTable& table = container_runtime_table(runtime);
    if (table.program() == program) return &table;
  }
  return nullptr;
}

std::string job_key_of(const std::string& sandbox) {
  std::string_view path = sandbox;
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const std::size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

JobDescription resolve_container(const JobDescription& description, CommandRunner& runner) {
  if (!description.uses_containers()) return description;
  JobDescription resolved = description;
  resolved.container.runtime = resolve_container_runtime(runner, description.container.runtime);
  return resolved;
}

namespace {

ContainerCommands commands_for(const JobDescription& description, ContainerLaunch launch) {
  const ContainerRuntimeTable& table = container_runtime_table(description.container.runtime);
  launch.options = description.container;
  return {table.program(), table.run_argv(launch), table.remove_argv(launch.name)};
}

}  // namespace

ContainerCommands container_commands(const JobDescription& description,
                                     const std::string& sandbox) {
  ContainerLaunch launch;
  launch.image = description.container_image;
  launch.sandbox = sandbox;
  launch.name = container_name(job_key_of(sandbox));
  launch.command.push_back(description.executable);
  launch.command.insert(launch.command.end(), description.arguments.begin(),
                        description.arguments.end());
  launch.environment = description.environment;
  return commands_for(description, std::move(launch));
}

ContainerCommands step_container_commands(const JobDescription& description, std::size_t index,
                                          const std::string& sandbox) {
  const JobStep& step = description.steps.at(index);
  ContainerLaunch launch;
  launch.image = step.container_image;
  launch.sandbox = sandbox;
  launch.name = container_name(job_key_of(sandbox)) + "-step" + std::to_string(index);
  // No executable: the image's own command (podman and docker run its CMD/ENTRYPOINT).
  if (!step.executable.empty()) {
    launch.command.push_back(step.executable);
    launch.command.insert(launch.command.end(), step.arguments.begin(), step.arguments.end());
  }
  launch.environment = description.environment;
  for (const auto& [name, value] : step.environment) launch.environment[name] = value;
  if (!step.working_directory.empty() && step.working_directory.front() != '/') {
    launch.working_directory = std::string(kContainerWorkDir) + "/" + step.working_directory;
  } else {
    launch.working_directory = step.working_directory;
  }
  launch.field_prefix = "steps[" + std::to_string(index) + "].";
  return commands_for(description, std::move(launch));
}

std::string container_marker(const JobDescription& description) {
  // The image holds no space (validate_container_image), so the first space splits.
  return container_runtime_table(description.container.runtime).program() + " " +
         description.container_image;
}

std::string step_container_marker(const JobDescription& description, std::size_t index) {
  return container_runtime_table(description.container.runtime).program() + " " +
         description.steps.at(index).container_image;
}

std::optional<std::string> container_failure(std::string_view marker, int exit_code,
                                             std::string_view error_line) {
  if (exit_code == 0 || marker.empty()) return std::nullopt;
  const std::size_t space = marker.find(' ');
  const std::string_view program = marker.substr(0, space);
  const std::string image =
      space == std::string_view::npos ? "" : std::string(marker.substr(space + 1));
  if (error_line.starts_with(kWrapperFailurePrefix)) {
    return std::string(error_line.substr(kWrapperFailurePrefix.size()));
  }
  const ContainerRuntimeTable* table = table_for_program(program);
  if (!table) return std::nullopt;
  std::optional<std::string> message = table->runtime_failure(exit_code, error_line);
  if (!message) return std::nullopt;
  return "container image " + image + " did not run: " + *message;
}

}  // namespace cuttle::detail
