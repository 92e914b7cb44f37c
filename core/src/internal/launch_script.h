// How the wrapper starts a job's command when the job has a launcher, pre/post-launch
// scripts, modules or a clean environment (docs/launchers.md): the lines of the command's
// subshell, rendered for render_wrapper only. Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "cuttle/job_description.h"

namespace cuttle::detail {

// The body of the command's subshell, after its redirections: in order, the environment
// emptied (inherit_environment false), `environment` exported, the module system set up
// and each module loaded, pre_launch sourced, the launcher looked up, then the command
// started through the launcher (exec'd, or — with a post_launch — waited for, post_launch
// sourced, and the command's exit code kept). Any of those that fails writes
// "cuttle: FIELD: ... on HOST" to the launch error marker in `markers` and exits 127
// before the command starts: the job is then Error with that message (job_markers.h).
// `working_directory` is where relative script paths are taken from (the subshell is in it).
// REQUIRES: description.validate() passed and description.shapes_launch().
std::string render_launch(const JobDescription& description, const std::string& working_directory,
                          const std::string& markers);

// The command as the launcher starts it: `srun [--nodes=N] [--ntasks=T]
// [--cpus-per-task=C] CMD...`, `mpirun -n T CMD...`, `mpiexec -n T CMD...`, or the command
// alone when there is no launcher.
std::vector<std::string> launched_command(const JobDescription& description);

}  // namespace cuttle::detail
