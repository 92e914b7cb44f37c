// The sandbox wrapper script, its paths and the allocation marker.
#include "internal/wrapper_script.h"

#include "cuttle/error.h"
#include "cuttle/shell.h"
#include "internal/container_runtime.h"
#include "internal/dependency_wait.h"
#include "internal/job_markers.h"
#include "internal/launch_script.h"

namespace cuttle::detail {
namespace {

// Writes `value_expr` (a shell expression) to marker file `name` with the shell's builtin
// echo: one write(2) of a few bytes, so a reader sees no file, an empty file (treated as
// "not yet written") or the whole value, and no process is spent on a rename.
std::string write_marker(const std::string& dir, const char* name, const std::string& value_expr) {
  return "echo " + value_expr + " > " + quote(dir + "/" + name) + "\n";
}

// On TERM (from Cuttle's cancel, from outside) or ALRM (the watchdog) the wrapper notes
// the cause once, TERMs its whole process group (itself included: it catches TERM) and
// starts the escalation: after the grace, unless the job has recorded its exit by then,
// the record says 137 with the same cause and the group is KILLed. Whichever of the two
// records the end first wins (record_exit_line): the other's write is refused, and an
// escalation that lost kills nothing. The escalation
// ignores TERM so a second TERM from outside cannot stop it. `remove` (a container job's
// removal command, or empty) runs first: a KILLed runtime client would leave its
// container running, and once the record says the job ended nothing of it may be left.
std::string stop_functions(const std::string& m, std::chrono::seconds grace,
                           const std::string& remove) {
  std::string s;
  s += "cuttle_end() {\n";
  s += "  kill -TERM 0 2>/dev/null\n";
  s += "  ( trap '' TERM; sleep " + std::to_string(grace.count()) + "; [ -s " + quote(m + "/exit") +
       " ] || { " + remove + record_exit_line(m, "\"137 $cuttle_how\"") +
       " && kill -KILL 0; } ) </dev/null >/dev/null 2>&1 &\n";
  s += "}\n";
  s += "cuttle_stop() {\n";
  s += "  cuttle_woke=1\n";
  s += "  [ -z \"$cuttle_how\" ] || return 0\n";
  s += "  if [ -e " + quote(m + "/cancelled") +
       " ]; then cuttle_how=cancel; else cuttle_how=$1; fi\n";
  s += "  [ -z \"$cuttle_child\" ] || cuttle_end\n";
  s += "}\n";
  s += "trap 'cuttle_stop signal' TERM\n";
  s += "trap 'cuttle_stop deadline' ALRM\n";
  return s;
}

// The watchdog: sleeps out the allocation, then reads the allocation marker (extend
// rewrites it) and sleeps out any extension, then ALRMs the wrapper. Only jobs with a
// max_runtime pay for it (one sh and one sleep). It kills its sleep when TERMed, so no
// sleep outlives the job.
std::string watchdog(const std::string& m, const std::string& allocation,
                     const std::string& elapsed) {
  std::string s;
  s += "( cuttle_t=" + elapsed + "; cuttle_s= cuttle_a=" + allocation + "\n";
  s += "  trap '[ -z \"$cuttle_s\" ] || kill \"$cuttle_s\" 2>/dev/null; exit 0' TERM\n";
  s += "  while [ \"$cuttle_t\" -lt \"$cuttle_a\" ]; do\n";
  s += "    sleep $((cuttle_a - cuttle_t)) & cuttle_s=$!\n";
  s += "    wait \"$cuttle_s\"\n";
  s += "    cuttle_t=$cuttle_a\n";
  s += "    if [ -f " + quote(m + "/allocation") + " ]; then read -r cuttle_n < " +
       quote(m + "/allocation") + "\n";
  s += "      case $cuttle_n in ''|*[!0-9]*) ;; *) cuttle_a=$cuttle_n ;; esac\n";
  s += "    fi\n";
  s += "  done\n";
  s += "  kill -ALRM \"$cuttle_wrapper\" ) </dev/null >/dev/null 2>&1 &\n";
  s += "cuttle_dog=$!\n";
  return s;
}

// Waits for the command. A trapped signal interrupts `wait` (status > 128 while the
// command still runs): wait again. 127 after an interrupted wait means that wait
// already collected the real status.
constexpr const char* kWaitLoop =
    "cuttle_rc=\n"
    "while :; do\n"
    "  cuttle_woke=\n"
    "  wait \"$cuttle_child\"\n"
    "  cuttle_r=$?\n"
    "  if [ -z \"$cuttle_woke\" ]; then\n"
    "    [ \"$cuttle_r\" -eq 127 ] && [ -n \"$cuttle_rc\" ] || cuttle_rc=$cuttle_r\n"
    "    break\n"
    "  fi\n"
    "  cuttle_rc=$cuttle_r\n"
    "done\n";

// A container job's wrapper checks that the runtime is on this host (a batch job's node
// may differ from the submit host that was probed) and gives ch-run the $USER it needs.
// The failure line names the host; container_failure() reads it back as the job's error.
// The directories of the stage-out sources exist before the job starts, as the reference
// service's output locations do (`ls > /work/output/workls.txt` needs no mkdir).
std::string container_preamble(const std::string& m, const ContainerCommands& container,
                               const JobDescription& description, const std::string& sandbox) {
  std::string s;
  std::vector<std::string> mkdir{"mkdir", "-p", "--"};
  for (const StagingEntry& entry : description.stage_out) {
    const std::size_t slash = entry.source.find_last_of('/');
    if (entry.source.empty() || entry.source.front() == '/' || slash == std::string::npos) continue;
    mkdir.push_back(sandbox + "/" + entry.source.substr(0, slash));
  }
  if (mkdir.size() > 3) s += quote_command(mkdir) + " 2>/dev/null\n";
  s += "[ -n \"${USER:-}\" ] || { USER=$(id -un 2>/dev/null); export USER; }\n";
  s += "command -v " + quote(container.program) + " >/dev/null 2>&1 || {\n";
  s += "  echo \"" + std::string(kWrapperFailurePrefix) +
       "container.runtime: " + container.program + " is not installed on $(uname -n)\" > " +
       quote(m + "/container_err") + "\n";
  s += "  " + record_exit_line(m, "127") + "\n" + "  exit 127\n}\n";
  return s;
}

// After the run command: a stopped job's container is removed (the client may have died
// before it could), and a failed job's last stderr line is kept so the record tells the
// runtime's own failure (125/126/127 and its message) from the job's exit code.
std::string container_epilogue(const std::string& m, const std::string& stderr_path,
                               const std::string& remove) {
  std::string s;
  if (!remove.empty()) s += "[ -z \"$cuttle_how\" ] || { " + remove + "}\n";
  s += "if [ \"$cuttle_rc\" -ne 0 ] && [ -z \"$cuttle_how\" ]; then\n";
  s += "  tail -c 4096 " + quote(stderr_path) +
       " 2>/dev/null | sed -n '/[^[:space:]]/h; ${x;p;}' > " + quote(m + "/container_err") + "\n";
  s += "fi\n";
  return s;
}

// Exports for the command's subshell (or the wrapper itself): one assignment and one
// export per variable, every value quoted.
std::string exports(const std::map<std::string, std::string>& environment) {
  std::string s;
  for (const auto& [name, value] : environment)
    s += name + "=" + quote(value) + "\nexport " + name + "\n";
  return s;
}

struct Redirections {
  std::string in, out, err;
  bool append_out = false, append_err = false;
};

// Starts `argv` in the background with its redirections, after `setup` (lines run in the
// command's subshell), and records its pid. The command runs in the background so the
// wrapper can act on signals while it runs. A background command of a non-interactive sh
// starts with INT and QUIT ignored; bash lets the subshell reset them, dash does not (a
// known limit: on dash hosts a detached job ignores SIGINT and SIGQUIT; TERM and KILL,
// which Cuttle and batch schedulers send, are unaffected).
std::string redirections(const Redirections& r) {
  return " < " + quote(r.in.empty() ? "/dev/null" : r.in) + (r.append_out ? " >> " : " > ") +
         quote(r.out) + (r.append_err ? " 2>> " : " 2> ") + quote(r.err);
}

std::string start_subshell(const std::string& body) {
  std::string s = "( trap - INT QUIT; " + body + " ) &\n";
  s += "cuttle_child=$!\n";
  s += "[ -z \"$cuttle_how\" ] || cuttle_end\n";  // TERMed before the command started
  return s;
}

std::string start_command(const std::string& setup, const std::vector<std::string>& argv,
                          const Redirections& r) {
  return start_subshell(setup + "exec " + quote_command(argv) + redirections(r));
}

// A job with a launcher, scripts, modules or a clean environment (launch_script.h): the
// subshell takes the job's redirections for itself first, so what module, pre_launch and
// post_launch print lands in the job's stdout and stderr beside the command's.
std::string start_launch(const JobDescription& description, const WrapperPaths& paths,
                         const std::string& m) {
  return start_subshell("exec" +
                        redirections({paths.stdin_path, paths.stdout_path, paths.stderr_path}) +
                        "\n" + render_launch(description, paths.working_directory, m));
}

// A job with steps: which container each step runs in (none for a host step), and the
// shell function the escalation calls to remove the current step's container.
struct StepContainers {
  std::vector<std::optional<ContainerCommands>> commands;
  std::string remove_function;  // empty when no step leaves a container behind
};

StepContainers step_containers(const JobDescription& description, const std::string& sandbox) {
  StepContainers result;
  std::string cases;
  for (std::size_t i = 0; i < description.steps.size(); ++i) {
    if (description.steps[i].container_image.empty()) {
      result.commands.emplace_back();
      continue;
    }
    result.commands.push_back(step_container_commands(description, i, sandbox));
    if (!result.commands.back()->remove.empty()) {
      cases += "    " + std::to_string(i) + ") " + quote_command(result.commands.back()->remove) +
               " ;;\n";
    }
  }
  if (!cases.empty()) {
    result.remove_function = "cuttle_remove() {\n  case $cuttle_step in\n" + cases + "  esac\n}\n";
  }
  return result;
}

// A step's own stdout/stderr file may be in a directory no step made yet (a log
// directory, a container step's /work/out/...): made when missing (a process only then).
std::string output_directories(const StepPaths& p) {
  std::string s;
  for (const auto& [path, appended] :
       {std::pair{&p.stdout_path, p.append_stdout}, std::pair{&p.stderr_path, p.append_stderr}}) {
    const std::size_t slash = path->find_last_of('/');
    if (appended || slash == std::string::npos || slash == 0) continue;
    const std::string directory = quote(path->substr(0, slash));
    s += "[ -d " + directory + " ] || mkdir -p -- " + directory + " 2>/dev/null\n";
  }
  return s;
}

// One step: skipped once the job was stopped or a step before it failed; its exit code
// appended to the steps marker; a failure stops the steps after it unless ignore_error.
std::string render_step(const JobDescription& description, std::size_t index,
                        const WrapperPaths& paths, const StepContainers& containers,
                        const std::string& m) {
  const JobStep& step = description.steps[index];
  const StepPaths& p = paths.steps[index];
  const std::optional<ContainerCommands>& container = containers.commands[index];
  std::string s = "cuttle_step=" + std::to_string(index) + "\n";
  s += "if [ -z \"$cuttle_how$cuttle_halt\" ]; then\n";
  std::string setup;
  std::vector<std::string> argv;
  if (container) {
    s += write_marker(m, "container", quote(step_container_marker(description, index)));
    argv = container->run;
  } else {
    if (description.uses_containers()) s += ": > " + quote(m + "/container") + "\n";
    std::map<std::string, std::string> environment = description.environment;
    for (const auto& [name, value] : step.environment) environment[name] = value;
    setup = "cd " + quote(p.working_directory) + " || exit 127\n" + exports(environment);
    argv.push_back(step.executable);
    argv.insert(argv.end(), step.arguments.begin(), step.arguments.end());
  }
  s += output_directories(p);
  s += start_command(
      setup, argv, {p.stdin_path, p.stdout_path, p.stderr_path, p.append_stdout, p.append_stderr});
  s += kWaitLoop;
  s += "cuttle_child=\n";
  if (container) {
    const std::string remove =
        container->remove.empty() ? "" : quote_command(container->remove) + " >/dev/null 2>&1; ";
    s += container_epilogue(m, p.stderr_path, remove);
  }
  s += "echo \"$cuttle_rc\" >> " + quote(m + "/steps") + "\n";
  if (!step.ignore_error) s += "[ \"$cuttle_rc\" -eq 0 ] || cuttle_halt=1\n";
  s += "fi\n";
  return s;
}

// The part of the wrapper that runs a job's steps in order, in place of its command.
// (Its stop functions, which remove the current step's container, come from
// step_stop_functions, rendered before the pid marker.)
std::string render_steps(const JobDescription& description, const WrapperPaths& paths,
                         const std::string& m, const StepContainers& containers) {
  std::string s = "cd " + quote(paths.working_directory) + " || {\n  " +
                  record_exit_line(m, "127") + "\n" + "  exit 127\n}\n";
  // Steps append to the job's stdout and stderr: they start empty, as a job's do.
  s += ": > " + quote(paths.stdout_path) + "\n: > " + quote(paths.stderr_path) + "\n";
  s += ": > " + quote(m + "/steps") + "\n";
  for (std::size_t i = 0; i < containers.commands.size(); ++i) {
    if (!containers.commands[i]) continue;
    // Every step's container has the same runtime: checked once, before any step runs.
    s += write_marker(m, "container", quote(step_container_marker(description, i)));
    s += container_preamble(m, *containers.commands[i], description, paths.sandbox);
    break;
  }
  if (description.max_runtime) {
    s += watchdog(m, std::to_string(description.max_runtime->count()), "0");
  }
  // No step ran (stopped before the first): the code a TERMed command would have.
  s += "cuttle_halt= cuttle_step= cuttle_rc=143\n";
  for (std::size_t i = 0; i < description.steps.size(); ++i) {
    s += render_step(description, i, paths, containers, m);
  }
  return s;
}

}  // namespace

std::string render_wrapper(const JobDescription& description, const WrapperPaths& paths,
                           std::chrono::seconds cancel_grace) {
  const std::string m = paths.sandbox + "/" + kMarkerDir;
  // Besides the job, only builtins run — plus, for a job with a max_runtime, the
  // watchdog, and for a TERMed job, the escalation. Start and end times are the mtimes
  // of the pid and exit markers.
  std::string s;
  s += "#!/bin/sh\n";
  s += "# Written by Cuttle: runs one job and records its outcome in " + std::string(kMarkerDir) +
       "/.\n";
  std::optional<ContainerCommands> container;
  std::string remove;  // a container job's removal command line, or empty
  if (!description.container_image.empty()) {
    container = container_commands(description, paths.sandbox);
    if (!container->remove.empty())
      remove = quote_command(container->remove) + " >/dev/null 2>&1; ";
  }
  // A batch system that requeues a job (preemption, a node failure, `scontrol requeue`)
  // runs this wrapper again in the same sandbox: the first run's end is no longer the
  // job's, and the record is first-writer-wins. (A builtin test; a process only then.)
  s += "[ ! -e " + quote(m + "/exit") + " ] || rm -f -- " + quote(m + "/exit") + " " +
       quote(m + "/container_err") + "\n";
  // Held first (local detached, ssh): the job has not started while it waits.
  s += render_dependency_wait(description.dependencies,
                              paths.sandbox.substr(0, paths.sandbox.rfind('/')), m);
  // The traps are set before the pid marker: whoever sees the pid (Cuttle's cancel, a
  // kill from outside that waited for it) reaches a wrapper that records the end.
  s += "cuttle_wrapper=$$ cuttle_how= cuttle_child= cuttle_dog=\n";
  StepContainers containers;
  if (!description.steps.empty()) {
    containers = step_containers(description, paths.sandbox);
    s += containers.remove_function;
    s +=
        stop_functions(m, cancel_grace,
                       containers.remove_function.empty() ? "" : "cuttle_remove >/dev/null 2>&1; ");
  } else {
    s += stop_functions(m, cancel_grace, remove);
  }
  s += write_marker(m, "pid", "\"$$\"");
  if (container) s += write_marker(m, "container", quote(container_marker(description)));
  if (!description.steps.empty()) {
    s += render_steps(description, paths, m, containers);
  } else {
    s += "cd " + quote(paths.working_directory) + " || {\n  " + record_exit_line(m, "127") + "\n" +
         "  exit 127\n}\n";
    std::vector<std::string> argv;
    if (container) {
      // The environment goes into the container (run_argv), not into the runtime's own.
      s += container_preamble(m, *container, description, paths.sandbox);
      argv = container->run;
    } else if (!description.shapes_launch()) {
      s += exports(description.environment);
      argv.push_back(description.executable);
      argv.insert(argv.end(), description.arguments.begin(), description.arguments.end());
    }
    s += argv.empty()
             ? start_launch(description, paths, m)
             : start_command("", argv, {paths.stdin_path, paths.stdout_path, paths.stderr_path});
    if (description.max_runtime) {
      s += watchdog(m, std::to_string(description.max_runtime->count()), "0");
    }
    s += kWaitLoop;
  }
  s += "[ -z \"$cuttle_dog\" ] || kill \"$cuttle_dog\" 2>/dev/null\n";
  if (container) s += container_epilogue(m, paths.stderr_path, remove);
  s += record_exit_line(m, "\"$cuttle_rc${cuttle_how:+ $cuttle_how}\"") + "\n";
  s += "exit \"$cuttle_rc\"\n";
  return s;
}

std::string render_stop_functions(const std::string& markers, std::chrono::seconds grace) {
  return stop_functions(markers, grace, "");
}

std::string render_watchdog(const std::string& markers, const std::string& allocation,
                            const std::string& elapsed) {
  return watchdog(markers, allocation, elapsed);
}

std::string render_wait_loop() { return kWaitLoop; }

std::string allocation_marker(std::chrono::seconds total) {
  return std::to_string(total.count()) + "\n";
}

std::chrono::seconds extend_allocation(FileSystem& files, const std::string& sandbox,
                                       std::chrono::seconds by) {
  const std::string dir = sandbox + "/" + kMarkerDir;
  if (files.stat(dir + "/exit")) {
    if (auto exit = parse_exit_marker(files.read_file(dir + "/exit"))) {
      throw InvalidArgument("extend: the job already ended (exit code " +
                            std::to_string(exit->code) + ")");
    }
  }
  if (!files.stat(dir + "/allocation")) {
    throw InvalidArgument("extend: the job has no time allocation (max_runtime) to extend");
  }
  const std::string text = files.read_file(dir + "/allocation");
  long long seconds = 0;
  if (text.empty() || text[0] == '\n') {
    throw InvalidArgument("extend: the job's allocation marker is empty");
  }
  for (char c : text) {
    if (c == '\n') break;
    if (c < '0' || c > '9' || seconds > 1'000'000'000'000LL) {
      throw InvalidArgument("extend: the job's allocation marker is malformed");
    }
    seconds = seconds * 10 + (c - '0');
  }
  const std::chrono::seconds total{seconds + by.count()};
  files.write_file(dir + "/allocation", allocation_marker(total), 0644);
  return total;
}

namespace {

std::string absolute_in(const std::string& directory, const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  return directory + "/" + path;
}

StepPaths step_paths(const JobStep& step, const WrapperPaths& job) {
  StepPaths p;
  const bool in_container = !step.container_image.empty();
  // A container step's relative paths are in /work, the sandbox; so are its paths that
  // name /work as the step sees it.
  auto path_of = [&](const std::string& path) {
    const std::string_view work = kContainerWorkDir;
    if (in_container && path.starts_with(work) &&
        (path.size() == work.size() || path[work.size()] == '/')) {
      return job.sandbox + path.substr(work.size());
    }
    return absolute_in(p.working_directory, path);
  };
  if (in_container) {
    p.working_directory = job.sandbox;
  } else {
    p.working_directory = step.working_directory.empty()
                              ? job.working_directory
                              : absolute_in(job.working_directory, step.working_directory);
  }
  p.stdin_path = step.stdin_path.empty() ? "/dev/null" : path_of(step.stdin_path);
  p.append_stdout = step.stdout_path.empty();
  p.stdout_path = p.append_stdout ? job.stdout_path : path_of(step.stdout_path);
  p.append_stderr = step.stderr_path.empty();
  p.stderr_path = p.append_stderr ? job.stderr_path : path_of(step.stderr_path);
  return p;
}

}  // namespace

WrapperPaths wrapper_paths(const JobDescription& description, const std::string& sandbox,
                           const std::string& relative_base) {
  WrapperPaths paths;
  paths.sandbox = sandbox;
  paths.working_directory = description.working_directory.empty()
                                ? sandbox
                                : absolute_in(relative_base, description.working_directory);
  const std::string& wd = paths.working_directory;
  paths.stdin_path =
      description.stdin_path.empty() ? "/dev/null" : absolute_in(wd, description.stdin_path);
  paths.stdout_path = description.stdout_path.empty() ? sandbox + "/" + kDefaultStdoutFile
                                                      : absolute_in(wd, description.stdout_path);
  paths.stderr_path = description.stderr_path.empty() ? sandbox + "/" + kDefaultStderrFile
                                                      : absolute_in(wd, description.stderr_path);
  for (const JobStep& step : description.steps) {
    paths.steps.push_back(step_paths(step, paths));
  }
  return paths;
}

}  // namespace cuttle::detail
