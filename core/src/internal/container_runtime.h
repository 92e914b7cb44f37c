// One table per container runtime, like the batch dialects: how to run an image with the
// job's sandbox mounted read-write at /work as the working directory, how to signal and
// remove the container by name, how the runtime's own failures are told from the job's
// exit code, and how `auto` picks a runtime on a host. Tables only render argv vectors;
// whoever places one into a shell line quotes it with quote_command().
// Thread-safety: tables are immutable singletons; every function may be called from any
// thread; resolve_container_runtime() is as thread-safe as the runner it is given.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cuttle/command_runner.h"
#include "cuttle/container.h"
#include "cuttle/job_description.h"
#include "cuttle/scheduler.h"

namespace cuttle::detail {

// Everything a table needs to render the command that runs one job in its container.
struct ContainerLaunch {
  std::string image;                 // a validated JobDescription::container_image
  ContainerOptions options;          // validated; options.runtime is ignored
  std::string sandbox;               // host path mounted read-write at /work
  std::string name;                  // container_name(job key)
  std::vector<std::string> command;  // executable, then arguments
  std::map<std::string, std::string> environment;
  std::string working_directory;  // inside the container; empty: /work
  std::string field_prefix;       // "" for the job's command, "steps[N]." for a step's
};

class ContainerRuntimeTable {
 public:
  virtual ~ContainerRuntimeTable() = default;
  virtual ContainerRuntime runtime() const = 0;
  // The command a host must have: "podman", "docker", "apptainer", "singularity", "ch-run".
  virtual std::string program() const = 0;
  // Throws Unsupported naming the option the runtime cannot honour, and InvalidArgument
  // for a sandbox path the runtime's mount syntax cannot carry.
  virtual std::vector<std::string> run_argv(const ContainerLaunch& launch) const = 0;
  // Sends `signal` ("TERM", "KILL") to the container `name`. Empty (the default): the
  // runtime execs the job or forwards signals to it, so signalling the run_argv process
  // is enough.
  virtual std::vector<std::string> kill_argv(const std::string& name,
                                             std::string_view signal) const;
  // Removes the container `name` if it still exists; succeeds when it does not. Empty
  // (the default): nothing outlives the run_argv process.
  virtual std::vector<std::string> remove_argv(const std::string& name) const;
  // The runtime's own failure message when run_argv exited `exit_code` because the
  // runtime failed (missing image, command not found, bad option), nullopt when the code
  // is the job's. `stderr_text` is what the run_argv process wrote to stderr (its tail
  // is enough): the runtime's message is its last non-empty line.
  virtual std::optional<std::string> runtime_failure(int exit_code,
                                                     std::string_view stderr_text) const = 0;
};

// REQUIRES: runtime != kAuto.
const ContainerRuntimeTable& container_runtime_table(ContainerRuntime runtime);

// "cuttle-" + the job key; container names are unique per job and found again by it.
// Throws InvalidArgument for a key runtimes cannot take as a name ([A-Za-z0-9_.-]+).
std::string container_name(std::string_view job_key);

// One command that prints the first runtime program present on a host: every runtime in
// preference order for kAuto, else just the requested one. Runs as argv locally or
// quoted over SSH alike.
std::vector<std::string> probe_argv(ContainerRuntime requested);
// Reads probe_argv's result. Throws Unsupported naming container.runtime when no runtime
// (or not the requested one) is installed on `host`.
ContainerRuntime parse_probe(ContainerRuntime requested, const CommandResult& result,
                             const std::string& host);
// probe_argv through `runner`, then parse_probe.
ContainerRuntime resolve_container_runtime(CommandRunner& runner, ContainerRuntime requested);

// Throws Unsupported naming container_image when the description has an image and the
// adaptor's capabilities say it cannot run containers: never run it without one.
void require_container_support(const JobDescription& description, const Capabilities& capabilities,
                               const std::string& adaptor_name);

// The description with container.runtime resolved on the host `runner` runs commands on:
// `auto` becomes the first runtime installed there, a named runtime is checked to be
// installed. Unchanged without an image. Throws Unsupported naming container.runtime and
// the host (runner.describe()) when there is none: a job is never run without its image.
JobDescription resolve_container(const JobDescription& description, CommandRunner& runner);

// What the job's wrapper runs for a description with an image and a resolved runtime:
// the run command with `sandbox` at /work, and the command that removes the container
// (empty when nothing outlives the run command). The container is named after the job
// key, the sandbox's last path component. Throws InternalError for an unresolved runtime.
struct ContainerCommands {
  std::string program;  // what must be on the host's PATH
  std::vector<std::string> run;
  std::vector<std::string> remove;
};
ContainerCommands container_commands(const JobDescription& description, const std::string& sandbox);

// The same for step `index` of a description with steps (REQUIRES: the step has an
// image). The job's environment and the step's go in, the step's winning; each step's
// container has a name of its own (`cuttle-<job key>-step<index>`), since a runtime may
// still be removing the previous one when the next starts.
ContainerCommands step_container_commands(const JobDescription& description, std::size_t index,
                                          const std::string& sandbox);
// The container marker of step `index` (REQUIRES: it has an image).
std::string step_container_marker(const JobDescription& description, std::size_t index);

// The first word of the wrapper's container marker ("PROGRAM IMAGE") and how it reads
// back; the wrapper writes it before the job starts.
std::string container_marker(const JobDescription& description);
// The wrapper's own failure line (the runtime missing on the host) starts with this.
inline constexpr std::string_view kWrapperFailurePrefix = "cuttle: ";
// The runtime's own failure for a container job that exited `exit_code`, from the
// wrapper's container marker and the last non-empty stderr line it recorded; nullopt
// when the code is the job's own. Names the image and quotes the runtime's message.
std::optional<std::string> container_failure(std::string_view marker, int exit_code,
                                             std::string_view error_line);

// The last non-empty line of `text`, without its line break.
std::string_view last_line(std::string_view text);

}  // namespace cuttle::detail
