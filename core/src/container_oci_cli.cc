// The podman and docker tables: one command line shape (`run --rm --init --name ...`),
// two programs. Both report their own failures as exit 125 (the runtime), 126 (command
// not executable) or 127 (command not found) with a last stderr line of their own (or,
// under --init, the init's own line), while a job's own exit code passes through.
#include <cstdint>
#include <string>

#include "cuttle/error.h"
#include "internal/container_tables.h"

namespace cuttle::detail {
namespace {

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past
// U+10FFFF).
bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xe  ? 3
                         : (byte >> 3) == 0x1e ? 4
                                               : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? byte : byte & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

// podman and docker hand the command and environment to the OCI runtime in JSON
// (config.json), which replaces bytes that are not UTF-8: refuse them rather than run a
// different command.
void check_utf8(const ContainerLaunch& launch, std::string_view program) {
  const std::string reason = ": " + std::string(program) +
                             " passes it through JSON (the OCI config) and cannot carry bytes "
                             "that are not UTF-8";
  for (std::size_t i = 0; i < launch.command.size(); ++i) {
    if (is_utf8(launch.command[i])) continue;
    throw Unsupported(
        launch.field_prefix +
        (i == 0 ? std::string("executable") : "arguments[" + std::to_string(i - 1) + "]") + reason);
  }
  for (const auto& [name, value] : launch.environment) {
    if (!is_utf8(value)) throw Unsupported(launch.field_prefix + "environment." + name + reason);
  }
}

class OciCliTable : public ContainerRuntimeTable {
 public:
  // `failure_prefix` starts the runtime's own last stderr line ("Error: ", "docker: ").
  OciCliTable(ContainerRuntime runtime, std::string program, std::string failure_prefix)
      : runtime_(runtime), program_(std::move(program)), prefix_(std::move(failure_prefix)) {}

  ContainerRuntime runtime() const override { return runtime_; }
  std::string program() const override { return program_; }

  std::vector<std::string> run_argv(const ContainerLaunch& launch) const override {
    check_sandbox_path(launch.sandbox, program_);
    check_utf8(launch, program_);
    const std::string work(kContainerWorkDir);
    // --init: an init process as PID 1, so SIGTERM reaches the job and zombies are
    // reaped; --interactive: the job reads the stdin the caller redirected.
    std::vector<std::string> argv = {program_,        "run",    "--rm",     "--init",
                                     "--interactive", "--name", launch.name};
    if (launch.options.network != true) {
      argv.insert(argv.end(), {"--network", "none"});
    }
    if (!launch.options.user.empty()) argv.insert(argv.end(), {"--user", launch.options.user});
    argv.insert(argv.end(), {"--volume", launch.sandbox + ":" + work, "--workdir",
                             working_directory_of(launch)});
    for (const ContainerMount& mount : launch.options.mounts) {
      argv.insert(argv.end(), {"--volume", mount.host_path + ":" + mount.container_path + ":ro"});
    }
    for (const auto& [name, value] : launch.environment) {
      argv.insert(argv.end(), {"--env", name + "=" + value});
    }
    argv.push_back(image_reference(launch.image));
    argv.insert(argv.end(), launch.command.begin(), launch.command.end());
    return argv;
  }

  std::vector<std::string> kill_argv(const std::string& name,
                                     std::string_view signal) const override {
    return {program_, "kill", "--signal", std::string(signal), name};
  }

  std::vector<std::string> remove_argv(const std::string& name) const override {
    // podman: --ignore makes a missing container success, --time 0 kills at once (its
    // default waits 10 s after a TERM the job may ignore); docker's `rm -f` kills at once
    // and exits 1 with "No such container", which the caller treats as done.
    if (runtime_ == ContainerRuntime::kPodman) {
      return {program_, "rm", "--force", "--time", "0", "--ignore", name};
    }
    return {program_, "rm", "--force", name};
  }

  std::optional<std::string> runtime_failure(int exit_code,
                                             std::string_view stderr_text) const override {
    std::string_view line = last_line(stderr_text);
    if (exit_code >= 125 && exit_code <= 127 && line.starts_with(prefix_)) {
      line.remove_prefix(prefix_.size());
      return program_ + ": " + std::string(line);
    }
    // With --init, a command that cannot be executed is reported by the init process
    // (podman's catatonit exits 1, docker's tini 127) instead of the runtime.
    if ((exit_code == 1 || exit_code == 127) &&
        (line.starts_with("ERROR (catatonit:") || line.starts_with("[FATAL tini"))) {
      return program_ + ": " + std::string(line);
    }
    return std::nullopt;
  }

 private:
  // Docker names registry images without a transport; podman takes `docker://` itself.
  std::string image_reference(const std::string& image) const {
    if (runtime_ != ContainerRuntime::kDocker) return image;
    std::string_view reference = image;
    if (reference.starts_with("docker://")) reference.remove_prefix(9);
    if (reference.find("://") != std::string_view::npos) {
      throw Unsupported("container_image: docker runs registry images only, not '" + image + "'");
    }
    return std::string(reference);
  }

  ContainerRuntime runtime_;
  std::string program_;
  std::string prefix_;
};

}  // namespace

const ContainerRuntimeTable& podman_table() {
  static const OciCliTable table(ContainerRuntime::kPodman, "podman", "Error: ");
  return table;
}

const ContainerRuntimeTable& docker_table() {
  static const OciCliTable table(ContainerRuntime::kDocker, "docker", "docker: ");
  return table;
}

}  // namespace cuttle::detail
