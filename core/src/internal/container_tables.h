// The runtime tables behind container_runtime_table(), one per file, and the checks they
// share. Internal to core/src/container_*.cc. Thread-safety: immutable singletons.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "internal/container_runtime.h"

namespace cuttle::detail {

const ContainerRuntimeTable& podman_table();        // container_oci_cli.cc
const ContainerRuntimeTable& docker_table();        // container_oci_cli.cc
const ContainerRuntimeTable& apptainer_table();     // container_apptainer.cc
const ContainerRuntimeTable& singularity_table();   // container_apptainer.cc
const ContainerRuntimeTable& charliecloud_table();  // container_charliecloud.cc

// Throws InvalidArgument when the sandbox path cannot be written into `runtime`'s
// SRC:DST mount syntax (not absolute, or holding ':', ',' or a control character).
void check_sandbox_path(const std::string& sandbox, std::string_view runtime);

// Where the command starts inside the container: the launch's working directory, else
// /work (the sandbox).
inline std::string working_directory_of(const ContainerLaunch& launch) {
  return launch.working_directory.empty() ? std::string(kContainerWorkDir)
                                          : launch.working_directory;
}

// Throws Unsupported naming `<prefix>executable` when the launch has no command (a step
// that runs its image's own command) and `runtime` has no such default to run.
void require_command(const ContainerLaunch& launch, std::string_view runtime);

// Throws Unsupported("container.<option>: <runtime> <reason>").
[[noreturn]] void unsupported_option(std::string_view option, std::string_view runtime,
                                     std::string_view reason);

}  // namespace cuttle::detail
