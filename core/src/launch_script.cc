// The launch part of the wrapper: a clean environment, modules, pre/post-launch scripts and
// the launcher, run in the command's subshell (docs/launchers.md).
#include "internal/launch_script.h"

#include "cuttle/shell.h"
#include "internal/container_runtime.h"

namespace cuttle::detail {
namespace {

constexpr const char* kLaunchErrorMarker = "launch_err";

// A path or name as the error message shows it: one line, whatever it holds.
std::string printable(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

// Records "cuttle: MESSAGE on HOST" as the launch error and ends the subshell before the
// command starts; `message` is literal text (quoted), the host is this one's name (found
// even when the job's PATH has no uname).
std::string fail(const std::string& markers, const std::string& message) {
  return "{ printf '%s%s on %s\\n' " + quote(std::string(kWrapperFailurePrefix)) + " " +
         quote(message) + " \"$(PATH=\"$PATH:/usr/bin:/bin\" uname -n 2>/dev/null)\" > " +
         quote(markers + "/" + kLaunchErrorMarker) + "; exit 127; }";
}

// inherit_environment = false: every exported variable is unset but who the job runs as
// (HOME, USER, LOGNAME), the scheduler's own (SLURM_*, PBS_*: srun and mpiexec inside an
// allocation read them) and Cuttle's (CUTTLE_*: the array index); PATH is the system's.
// Names come from the `export -p` builtin; a line of a multi-line value that happens to
// read like an export only unsets a variable that was going anyway.
// SLURM_EXPORT_ENV is dropped: after sbatch --export=NONE it would make srun start the tasks
// without the environment built here.
constexpr const char* kEmptyEnvironment =
    "for cuttle_v in $(export -p | while read -r cuttle_w cuttle_x; do\n"
    "    [ \"$cuttle_w\" = export ] && printf '%s\\n' \"${cuttle_x%%=*}\"; done); do\n"
    "  case $cuttle_v in\n"
    "    SLURM_EXPORT_ENV) unset \"$cuttle_v\" ;;\n"
    "    HOME|USER|LOGNAME|SLURM_*|PBS_*|CUTTLE_*) ;;\n"
    "    *) unset \"$cuttle_v\" 2>/dev/null ;;\n"
    "  esac\n"
    "done\n"
    "PATH=/usr/local/bin:/usr/bin:/bin\n"
    "export PATH\n";

// A non-interactive sh has no `module` function: it comes from the host's module system,
// Lmod or Environment Modules, whichever is installed.
std::string module_system(const std::string& markers) {
  std::string s;
  s += "command -v module >/dev/null 2>&1 || for cuttle_i in /etc/profile.d/lmod.sh "
       "\"${LMOD_PKG:+$LMOD_PKG/init/sh}\" \"${MODULESHOME:+$MODULESHOME/init/sh}\" "
       "/usr/share/lmod/lmod/init/sh /usr/share/modules/init/sh; do\n";
  s += "  [ -n \"$cuttle_i\" ] && [ -r \"$cuttle_i\" ] && . \"$cuttle_i\" >/dev/null && "
       "command -v module >/dev/null 2>&1 && break\n";
  s += "done\n";
  s += "command -v module >/dev/null 2>&1 || " + fail(markers, "modules: no module system") + "\n";
  return s;
}

std::string absolute_in(const std::string& directory, const std::string& path) {
  if (path.front() == '/') return path;
  return directory + "/" + path;
}

// A script must be a readable file before anything of the job starts: post_launch too,
// so a job is not run only to find it cannot be finished as asked.
std::string script_check(const std::string& field, const std::string& path,
                         const std::string& markers) {
  return "[ -f " + quote(path) + " ] && [ -r " + quote(path) + " ] || " +
         fail(markers, field + ": " + printable(path) + " is not a readable file") + "\n";
}

}  // namespace

std::vector<std::string> launched_command(const JobDescription& d) {
  std::vector<std::string> argv;
  if (d.launcher == "srun") {
    argv.push_back("srun");
    if (d.nodes) argv.push_back("--nodes=" + std::to_string(*d.nodes));
    if (d.tasks) argv.push_back("--ntasks=" + std::to_string(*d.tasks));
    if (d.cores_per_task) argv.push_back("--cpus-per-task=" + std::to_string(*d.cores_per_task));
  } else if (d.launcher == "mpirun" || d.launcher == "mpiexec") {
    argv.push_back(d.launcher);
    if (d.tasks) {
      argv.push_back("-n");
      argv.push_back(std::to_string(*d.tasks));
    }
  }
  argv.push_back(d.executable);
  argv.insert(argv.end(), d.arguments.begin(), d.arguments.end());
  return argv;
}

std::string render_launch(const JobDescription& d, const std::string& working_directory,
                          const std::string& markers) {
  std::string s;
  const std::string pre = d.pre_launch.empty() ? "" : absolute_in(working_directory, d.pre_launch);
  const std::string post =
      d.post_launch.empty() ? "" : absolute_in(working_directory, d.post_launch);
  if (!pre.empty()) s += script_check("pre_launch", pre, markers);
  if (!post.empty()) s += script_check("post_launch", post, markers);
  if (!d.inherit_environment) s += kEmptyEnvironment;
  for (const auto& [name, value] : d.environment) {
    s += name + "=" + quote(value) + "\nexport " + name + "\n";
  }
  if (!d.modules.empty()) {
    s += module_system(markers);
    for (const std::string& name : d.modules) {
      s += "module load " + quote(name) + " || " +
           fail(markers, "modules: " + printable(name) + " did not load") + "\n";
    }
  }
  if (!pre.empty()) {
    s += ". " + quote(pre) + " || " +
         fail(markers, "pre_launch: " + printable(pre) + " returned non-zero") + "\n";
  }
  if (d.has_launcher()) {
    s += "command -v " + quote(d.launcher) + " >/dev/null 2>&1 || " +
         fail(markers, "launcher: " + d.launcher + " is not installed (not on the PATH)") + "\n";
  }
  const std::string command = quote_command(launched_command(d));
  if (post.empty()) return s + "exec " + command + "\n";
  // The command's exit code is the job's whatever post_launch does: it is sourced in a
  // subshell of its own, so neither its status nor an `exit` in it can replace the code.
  s += command + "\n";
  s += "cuttle_rc=$?\n";
  s += "( . " + quote(post) + " )\n";
  s += "exit \"$cuttle_rc\"\n";
  return s;
}

}  // namespace cuttle::detail
