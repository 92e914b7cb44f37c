// Choosing a container runtime table: by name, or by probing a host for `auto`; the
// container name derived from a job key; the submit-time refusal of an image on an
// adaptor that cannot run one.
#include "internal/container_runtime.h"

#include "cuttle/error.h"
#include "internal/container_tables.h"

namespace cuttle::detail {
namespace {

// Preference for `auto`: the daemonless OCI runtime first, then docker (what a
// workstation usually has), then the HPC runtimes, whose images are often local files.
constexpr ContainerRuntime kAutoOrder[] = {
    ContainerRuntime::kPodman, ContainerRuntime::kDocker, ContainerRuntime::kApptainer,
    ContainerRuntime::kSingularity, ContainerRuntime::kCharliecloud};

// Positional parameters are the candidates; prints the first one on PATH.
constexpr const char* kProbeScript =
    "for p do command -v \"$p\" >/dev/null 2>&1 && { echo \"$p\"; exit 0; }; done; exit 3";

}  // namespace

std::vector<std::string> ContainerRuntimeTable::kill_argv(const std::string&,
                                                          std::string_view) const {
  return {};
}

std::vector<std::string> ContainerRuntimeTable::remove_argv(const std::string&) const { return {}; }

const ContainerRuntimeTable& container_runtime_table(ContainerRuntime runtime) {
  switch (runtime) {
    case ContainerRuntime::kPodman:
      return podman_table();
    case ContainerRuntime::kDocker:
      return docker_table();
    case ContainerRuntime::kApptainer:
      return apptainer_table();
    case ContainerRuntime::kSingularity:
      return singularity_table();
    case ContainerRuntime::kCharliecloud:
      return charliecloud_table();
    case ContainerRuntime::kAuto:
      break;
  }
  throw InternalError("container_runtime_table: 'auto' must be resolved first");
}

std::string container_name(std::string_view job_key) {
  bool ok = !job_key.empty() && job_key.size() <= 200;
  for (char c : job_key) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-');
  }
  if (!ok) {
    throw InvalidArgument("job key '" + std::string(job_key) +
                          "' cannot name a container (1-200 of [A-Za-z0-9_.-])");
  }
  return "cuttle-" + std::string(job_key);
}

std::vector<std::string> probe_argv(ContainerRuntime requested) {
  std::vector<std::string> argv = {"sh", "-c", kProbeScript, "cuttle-probe"};
  if (requested != ContainerRuntime::kAuto) {
    argv.push_back(container_runtime_table(requested).program());
    return argv;
  }
  for (ContainerRuntime runtime : kAutoOrder) {
    argv.push_back(container_runtime_table(runtime).program());
  }
  return argv;
}

ContainerRuntime parse_probe(ContainerRuntime requested, const CommandResult& result,
                             const std::string& host) {
  std::string_view found = last_line(result.stdout_text);
  if (result.exit_code == 0) {
    for (ContainerRuntime runtime : kAutoOrder) {
      if (found == container_runtime_table(runtime).program()) return runtime;
    }
  }
  const std::vector<std::string> argv = probe_argv(requested);
  std::string names;
  for (std::size_t i = 4; i < argv.size(); ++i) names += (names.empty() ? "" : ", ") + argv[i];
  if (result.exit_code != 0 && result.exit_code != 3) {
    throw Unsupported("container.runtime: probing " + host + " for " + names + " failed (exit " +
                      std::to_string(result.exit_code) +
                      "): " + std::string(last_line(result.stderr_text)));
  }
  throw Unsupported("container.runtime: no container runtime on " + host + " (looked for " + names +
                    " on PATH)");
}

ContainerRuntime resolve_container_runtime(CommandRunner& runner, ContainerRuntime requested) {
  return parse_probe(requested, runner.run(probe_argv(requested)), runner.describe());
}

void require_container_support(const JobDescription& description, const Capabilities& capabilities,
                               const std::string& adaptor_name) {
  if (!description.uses_containers() || capabilities.containers) return;
  const std::string what =
      description.steps.empty() ? "'" + description.executable + "'" : "its steps";
  throw Unsupported("container_image: the " + adaptor_name +
                    " adaptor cannot run jobs in a container (docs/containers.md); "
                    "refusing to run " +
                    what + " without one");
}

void require_command(const ContainerLaunch& launch, std::string_view runtime) {
  if (!launch.command.empty()) return;
  throw Unsupported(launch.field_prefix + "executable: " + std::string(runtime) +
                    " runs a given command, not an image's own; give the step an executable");
}

std::string_view last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::size_t newline = text.find_last_of('\n');
  return newline == std::string_view::npos ? text : text.substr(newline + 1);
}

void check_sandbox_path(const std::string& sandbox, std::string_view runtime) {
  bool ok = !sandbox.empty() && sandbox.front() == '/';
  for (char c : sandbox) {
    auto byte = static_cast<unsigned char>(c);
    ok = ok && byte >= 0x20 && byte != 0x7f && c != ':' && c != ',';
  }
  if (!ok) {
    throw InvalidArgument("sandbox path '" + sandbox + "' cannot be mounted by " +
                          std::string(runtime) +
                          ": it must be absolute and hold no ':', ',' or control character");
  }
}

void unsupported_option(std::string_view option, std::string_view runtime,
                        std::string_view reason) {
  throw Unsupported("container." + std::string(option) + ": " + std::string(runtime) + " " +
                    std::string(reason));
}

}  // namespace cuttle::detail
