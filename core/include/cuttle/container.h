// How a job runs in a container: which runtime, extra read-only mounts, network, user.
// The image is JobDescription::container_image; the job's sandbox is mounted read-write
// at kContainerWorkDir, which is the working directory: staged-in files land there and
// staged-out files are taken from there (docs/containers.md).
// Thread-safety: value types and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cuttle {

inline constexpr std::string_view kContainerWorkDir = "/work";

enum class ContainerRuntime { kAuto, kPodman, kDocker, kApptainer, kSingularity, kCharliecloud };

// "auto", "podman", "docker", "apptainer", "singularity", "charliecloud".
const char* to_string(ContainerRuntime runtime);
// The names above (and "ch-run" for Charliecloud). Throws InvalidArgument listing them.
ContainerRuntime parse_container_runtime(std::string_view text);

// A host directory or file shown read-only inside the container.
struct ContainerMount {
  std::string host_path;       // absolute, on the host that runs the job
  std::string container_path;  // absolute; neither / nor kContainerWorkDir or below it
  bool operator==(const ContainerMount&) const = default;
};

// "HOST:CONTAINER", or "HOST" for the same path inside. Throws InvalidArgument.
ContainerMount parse_container_mount(std::string_view text);

struct ContainerOptions {
  ContainerRuntime runtime = ContainerRuntime::kAuto;
  std::vector<ContainerMount> mounts;  // read-only
  // Unset: no network where the runtime can do that (podman, docker, apptainer), the
  // host's network where it cannot (charliecloud). false: no network, or an Unsupported
  // error where the runtime cannot isolate it. true: the host's (or default) network.
  std::optional<bool> network;
  // Empty: the image's default user (podman, docker) or the caller (apptainer,
  // charliecloud). Otherwise NAME, UID or UID:GID.
  std::string user;
  bool operator==(const ContainerOptions&) const = default;
};

// Each throws InvalidJobDescription naming the field: "container_image",
// "container.mounts[1].host_path", "container.user".
// An image reference is at most 4096 bytes of letters, digits and . _ - / : @ + and
// does not start with '-' (a runtime would read it as an option).
void validate_container_image(const std::string& image);
void validate_container_options(const ContainerOptions& options);

}  // namespace cuttle
