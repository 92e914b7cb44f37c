// What to run: a plain value type. Adaptors never modify the caller's copy.
// Thread-safety: value type; validate() is const.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/container.h"
#include "cuttle/job_array.h"
#include "cuttle/job_dependency.h"

namespace cuttle {

// One file to copy. For stage-in, `source` is a path on the submitting machine and
// `destination` is relative to the job's sandbox; for stage-out, `source` is relative
// to the sandbox and `destination` is a path on the submitting machine. An empty
// destination means "the same relative name" (stage-in) or "the file name in the
// current directory" (stage-out).
struct StagingEntry {
  std::string source;
  std::string destination;
  bool operator==(const StagingEntry&) const = default;
};

// One command of a job that runs several in order (JobDescription::steps). Every step
// runs in the job's sandbox (in a container: mounted at /work), so a file one step
// writes there is read by the next. Paths are on the host that runs the job; relative
// ones are relative to the step's working directory (a container step: the sandbox).
struct JobStep {
  std::string executable;
  std::vector<std::string> arguments;
  std::string container_image;                     // empty: runs on the host (no container)
  std::map<std::string, std::string> environment;  // added to the job's environment
  std::string working_directory;                   // empty: the job's (in a container: /work)
  std::string stdin_path;                          // empty: /dev/null
  std::string stdout_path;                         // empty: appended to the job's stdout
  std::string stderr_path;                         // empty: appended to the job's stderr
  bool ignore_error = false;  // a non-zero exit does not stop the steps after it
  bool operator==(const JobStep&) const = default;
};

struct JobDescription {
  std::string name;  // informational; batch adaptors put it in the job name
  std::string executable;
  std::vector<std::string> arguments;
  std::map<std::string, std::string> environment;  // added to the inherited environment
  std::string working_directory;  // empty: the job's sandbox (or the current directory)
  std::string stdin_path;         // empty: /dev/null
  std::string stdout_path;        // relative paths are relative to the working directory
  std::string stderr_path;
  std::string queue;                                // empty: the scheduler's default queue
  std::optional<std::chrono::seconds> max_runtime;  // the time allocation
  std::optional<int> nodes;
  std::optional<int> tasks;
  std::optional<int> cores_per_task;
  std::optional<std::uint64_t> memory_bytes;  // per node
  // Resources and placement (docs/resources.md). An adaptor that cannot honour one that
  // is set refuses the job with Unsupported naming it (Capabilities says which it takes).
  std::optional<int> gpus;                       // GPUs per node
  std::string gpu_type;                          // e.g. "a100"; empty: any type. Needs gpus.
  std::string account;                           // the account (project) the job is charged to
  std::string qos;                               // quality of service
  std::string reservation;                       // an advance reservation to run in
  std::vector<std::string> constraints;          // node features, every one required
  bool exclusive_nodes = false;                  // no other job shares the job's nodes
  std::vector<std::string> scheduler_arguments;  // validated pass-through (batch adaptors)
  std::string container_image;                   // empty: no container (docs/containers.md)
  ContainerOptions container;                    // only with container_image
  std::vector<StagingEntry> stage_in;
  std::vector<StagingEntry> stage_out;
  int retry_limit = 0;  // how many times a Failed or Error attempt is resubmitted
  std::map<std::string, std::string> labels;
  // Non-empty: run these in order instead of executable/arguments (which must then be
  // empty, as must container_image and stdin_path; `container` applies to every step's
  // container). The steps stop at the first one that exits non-zero unless it has
  // ignore_error; the job's exit code is that step's, else the last step's, and
  // JobStatus::step_exit_codes has one code per step that ran. docs/steps.md.
  std::vector<JobStep> steps;
  // Start only once these earlier jobs of the same scheduler reached their condition; one
  // that can never be met ends the job as Error (docs/dependencies.md).
  std::vector<JobDependency> dependencies;
  // Set: a job array (docs/arrays.md), one submission whose elements each run the job with
  // CUTTLE_ARRAY_INDEX in their environment and have their own status ("ID[INDEX]").
  // stdout_path and stderr_path must then be empty (each element writes its own) and
  // retry_limit 0.
  std::optional<ArraySpec> array;
  // How the command is started and in which environment (docs/launchers.md). On the
  // wrapper-based adaptors (local, ssh, slurm, torque) the wrapper, in the job's shell on
  // the host that runs it, in this order: starts from an empty environment when
  // inherit_environment is false, exports `environment`, loads `modules`, sources
  // pre_launch, starts the command through `launcher`, and sources post_launch once it
  // ended. A missing launcher, module system, module or script ends the job as Error
  // naming the field and the host. Not with steps; launcher, scripts and modules not with
  // container_image (the command then runs in its image, not in this shell).
  std::string launcher;              // "" or "none" (the command itself), srun, mpirun, mpiexec
  std::string pre_launch;            // a script sourced before the launcher; relative paths
  std::string post_launch;           // are relative to the working directory
  std::vector<std::string> modules;  // `module load`ed in order, before pre_launch
  // false: the command starts from an empty environment plus `environment` (HOME, USER,
  // LOGNAME, the scheduler's SLURM_*/PBS_* and Cuttle's CUTTLE_* variables are kept; PATH
  // is the system's /usr/local/bin:/usr/bin:/bin), and on slurm the submitter's environment
  // does not reach the job (--export=NONE).
  bool inherit_environment = true;

  // Throws InvalidJobDescription naming the first offending field: empty executable,
  // NUL bytes anywhere, environment names that are not [A-Za-z_][A-Za-z0-9_]*,
  // negative or zero counts, negative retry limit, non-positive max runtime,
  // newlines in scheduler arguments, staging paths that are empty, hostile image
  // references, mounts or users, container options without an image, a gpu_type without
  // gpus, GPU types and node features outside [A-Za-z0-9_.-], account/qos/reservation
  // with whitespace or control characters; with steps, a job-level command, image or
  // stdin, and each step's own fields ("steps[1].executable"); an array spec out of
  // bounds, or with stdout_path, stderr_path or a retry_limit; a launcher that is not one
  // of none/srun/mpirun/mpiexec, an empty module name or one starting with '-' or holding
  // a control character, launch fields with steps (or, except inherit_environment, with
  // container_image).
  void validate() const;

  // Whether the job, or any of its steps, runs in a container image.
  bool uses_containers() const;

  // Whether a launcher other than none is set.
  bool has_launcher() const;

  // Whether any of launcher, pre_launch, post_launch, modules, inherit_environment=false
  // is set: the job's start needs the wrapper's shell.
  bool shapes_launch() const;

  bool operator==(const JobDescription&) const = default;
};

}  // namespace cuttle
