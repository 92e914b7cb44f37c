// The Apptainer and Singularity tables (one command line shape, two programs and
// environment prefixes). Neither is packaged for Debian 12, so these tables are tested
// on the argv they render only (docs/containers.md).
//  - Environment goes in as APPTAINERENV_NAME=value through `env`, not `--env`, whose
//    value is a comma-separated list that would split a value holding a comma.
//  - `exec --containall` gives a fresh /tmp, PID and IPC namespace and a clean
//    environment, the nearest to an OCI runtime's defaults.
//  - Apptainer forwards signals to the job, so no kill by name is needed.
//  - Its own failures: exit 255 with a last stderr line "FATAL: ...".
#include <string>

#include "cuttle/error.h"
#include "internal/container_tables.h"

namespace cuttle::detail {
namespace {

class ApptainerTable : public ContainerRuntimeTable {
 public:
  ApptainerTable(ContainerRuntime runtime, std::string program, std::string env_prefix)
      : runtime_(runtime), program_(std::move(program)), env_prefix_(std::move(env_prefix)) {}

  ContainerRuntime runtime() const override { return runtime_; }
  std::string program() const override { return program_; }

  std::vector<std::string> run_argv(const ContainerLaunch& launch) const override {
    check_sandbox_path(launch.sandbox, program_);
    require_command(launch, program_);
    if (!launch.options.user.empty()) {
      unsupported_option("user", program_,
                         "runs the job as the calling user; leave container.user empty");
    }
    const std::string work(kContainerWorkDir);
    std::vector<std::string> argv = {"env"};
    for (const auto& [name, value] : launch.environment) {
      argv.push_back(env_prefix_ + name + "=" + value);
    }
    argv.insert(argv.end(), {program_, "exec", "--containall", "--pwd",
                             working_directory_of(launch), "--bind", launch.sandbox + ":" + work});
    for (const ContainerMount& mount : launch.options.mounts) {
      argv.insert(argv.end(), {"--bind", mount.host_path + ":" + mount.container_path + ":ro"});
    }
    // Isolating the network needs root or a site's allow-net configuration, so it is done
    // only when asked for explicitly; the default is the host's network.
    if (launch.options.network == false) {
      argv.insert(argv.end(), {"--net", "--network", "none"});
    }
    argv.push_back(launch.image);
    argv.insert(argv.end(), launch.command.begin(), launch.command.end());
    return argv;
  }

  std::optional<std::string> runtime_failure(int exit_code,
                                             std::string_view stderr_text) const override {
    if (exit_code != 255) return std::nullopt;
    std::string_view line = last_line(stderr_text);
    if (!line.starts_with("FATAL:")) return std::nullopt;
    line.remove_prefix(6);
    while (line.starts_with(' ')) line.remove_prefix(1);
    return program_ + ": " + std::string(line);
  }

 private:
  ContainerRuntime runtime_;
  std::string program_;
  std::string env_prefix_;
};

}  // namespace

const ContainerRuntimeTable& apptainer_table() {
  static const ApptainerTable table(ContainerRuntime::kApptainer, "apptainer", "APPTAINERENV_");
  return table;
}

const ContainerRuntimeTable& singularity_table() {
  static const ApptainerTable table(ContainerRuntime::kSingularity, "singularity",
                                    "SINGULARITYENV_");
  return table;
}

}  // namespace cuttle::detail
