// The Charliecloud table: `ch-run`, unprivileged, the HPC path inside batch jobs. The
// image is a directory (or SquashFS file) on the host. ch-run execs the job, so signals
// sent to it reach the job and nothing needs killing or removing by name.
//  - ch-run shares the host's network and cannot isolate it: an explicit network=false
//    is Unsupported rather than ignored.
//  - Its binds are read-write (0.31 has no read-only bind), so the read-only
//    container.mounts are Unsupported.
//  - It passes the caller's environment through; --set-env adds the job's, verbatim
//    thanks to --env-no-expand, and PWD is set to /work so a shell reports the truth.
//  - --private-tmp: a /tmp of its own, as the OCI runtimes give.
//  - Its own failures: exit 1 with a last stderr line "ch-run[PID]: error: ...".
#include <string>

#include "cuttle/error.h"
#include "internal/container_tables.h"

namespace cuttle::detail {
namespace {

bool is_number(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

class CharliecloudTable : public ContainerRuntimeTable {
 public:
  ContainerRuntime runtime() const override { return ContainerRuntime::kCharliecloud; }
  std::string program() const override { return "ch-run"; }

  std::vector<std::string> run_argv(const ContainerLaunch& launch) const override {
    check_sandbox_path(launch.sandbox, "ch-run");
    require_command(launch, "ch-run");
    const ContainerOptions& options = launch.options;
    if (options.network == false) {
      unsupported_option("network", "charliecloud", "always shares the host's network");
    }
    if (!options.mounts.empty()) {
      unsupported_option("mounts", "charliecloud", "cannot bind-mount read-only");
    }
    const std::string work(kContainerWorkDir);
    const std::string cd = working_directory_of(launch);
    std::vector<std::string> argv = {"ch-run",          "--bind=" + launch.sandbox + ":" + work,
                                     "--cd=" + cd,      "--private-tmp",
                                     "--env-no-expand", "--set-env=PWD=" + cd};
    if (!options.user.empty()) append_user(options.user, argv);
    for (const auto& [name, value] : launch.environment) {
      argv.push_back("--set-env=" + name + "=" + value);
    }
    argv.insert(argv.end(), {launch.image, "--"});
    argv.insert(argv.end(), launch.command.begin(), launch.command.end());
    return argv;
  }

  std::optional<std::string> runtime_failure(int exit_code,
                                             std::string_view stderr_text) const override {
    if (exit_code != 1) return std::nullopt;
    std::string_view line = last_line(stderr_text);
    if (!line.starts_with("ch-run[")) return std::nullopt;
    std::size_t error = line.find("]: error: ");
    if (error == std::string_view::npos) return std::nullopt;
    return "ch-run: " + std::string(line.substr(error + 10));
  }

 private:
  // ch-run maps the caller to a numeric UID/GID inside; names mean nothing to it.
  static void append_user(const std::string& user, std::vector<std::string>& argv) {
    std::string_view text = user;
    std::size_t colon = text.find(':');
    std::string_view uid = text.substr(0, colon);
    std::string_view gid = colon == std::string_view::npos ? "" : text.substr(colon + 1);
    if (!is_number(uid) || (colon != std::string_view::npos && !is_number(gid))) {
      unsupported_option("user", "charliecloud", "takes a numeric UID or UID:GID only");
    }
    argv.push_back("--uid=" + std::string(uid));
    if (!gid.empty()) argv.push_back("--gid=" + std::string(gid));
  }
};

}  // namespace

const ContainerRuntimeTable& charliecloud_table() {
  static const CharliecloudTable table;
  return table;
}

}  // namespace cuttle::detail
