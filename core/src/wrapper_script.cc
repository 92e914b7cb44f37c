// The sandbox wrapper script, the one-command marker reader, and job keys.
#include "internal/wrapper_script.h"

#include <cstring>
#include <random>
#include <sstream>

#include <csignal>

#include "cuttle/shell.h"

namespace cuttle::detail {
namespace {

std::string marker(const WrapperPaths& paths) { return paths.sandbox + "/" + kMarkerDir; }

// Writes `value_expr` (a shell expression) to marker file `name` with the shell's builtin
// echo: one write(2) of a few bytes, so a reader sees no file, an empty file (treated as
// "not yet written") or the whole value, and no process is spent on a rename.
std::string write_marker(const std::string& dir, const char* name, const std::string& value_expr) {
  return "echo " + value_expr + " > " + quote(dir + "/" + name) + "\n";
}

std::string signal_name(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace

std::string render_wrapper(const JobDescription& description, const WrapperPaths& paths) {
  const std::string m = marker(paths);
  // Only builtins run besides the job: every extra process here is paid by every job.
  // The start and end times are the mtimes of the pid and exit markers.
  std::string s;
  s += "#!/bin/sh\n";
  s += "# Written by Cuttle: runs one job and records its outcome in " + std::string(kMarkerDir) +
       "/.\n";
  s += write_marker(m, "pid", "\"$$\"");
  // A TERM sent to the job's process group reaches the command too; catching it here
  // (not ignoring it, which the command would inherit) lets the wrapper still record the
  // command's exit.
  s += "trap 'cuttle_term=1' TERM\n";
  s += "cd " + quote(paths.working_directory) + " || {\n  " + write_marker(m, "exit", "127") +
       "  exit 127\n}\n";
  for (const auto& [name, value] : description.environment) {
    s += name + "=" + quote(value) + "\nexport " + name + "\n";
  }
  std::vector<std::string> argv{description.executable};
  argv.insert(argv.end(), description.arguments.begin(), description.arguments.end());
  s += quote_command(argv);
  s += " < " + quote(paths.stdin_path.empty() ? "/dev/null" : paths.stdin_path);
  s += " > " + quote(paths.stdout_path);
  s += " 2> " + quote(paths.stderr_path) + "\n";
  s += "cuttle_rc=$?\n";
  s += write_marker(m, "exit", "\"$cuttle_rc\"");
  s += "exit \"$cuttle_rc\"\n";
  return s;
}

std::vector<std::string> read_markers_argv(const std::vector<std::string>& sandboxes) {
  static const char* kScript =
      "for d in \"$@\"; do\n"
      "  m=\"$d/.cuttle\"\n"
      "  if [ -d \"$m\" ]; then\n"
      "    printf 'D %s\\n' \"$d\"\n"
      "    for f in pid exit; do\n"
      "      if [ -f \"$m/$f\" ]; then read -r v < \"$m/$f\"; printf 'F %s %s\\n' \"$f\" \"$v\"; "
      "fi\n"
      "    done\n"
      "    [ -e \"$m/cancelled\" ] && printf 'F cancelled\\n'\n"
      "    find \"$m\" -maxdepth 1 \\( -name pid -o -name exit \\) -printf 'T %f %T@\\n' "
      "2>/dev/null\n"
      "    if [ -f \"$m/pid\" ] && kill -0 \"$(head -c 32 \"$m/pid\")\" 2>/dev/null; then "
      "printf 'A\\n'; fi\n"
      "  else\n"
      "    printf 'N %s\\n' \"$d\"\n"
      "  fi\n"
      "done\n";
  std::vector<std::string> argv{"/bin/sh", "-c", kScript, "sh"};
  argv.insert(argv.end(), sandboxes.begin(), sandboxes.end());
  return argv;
}

std::map<std::string, MarkerState> parse_markers(const std::string& output,
                                                 const std::vector<std::string>& sandboxes) {
  std::map<std::string, MarkerState> result;
  for (const auto& s : sandboxes) result[s] = MarkerState{};
  std::istringstream in(output);
  std::string line;
  MarkerState* current = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("D ", 0) == 0) {
      auto it = result.find(line.substr(2));
      current = it == result.end() ? nullptr : &it->second;
      if (current) current->exists = true;
    } else if (line.rfind("N ", 0) == 0) {
      current = nullptr;
    } else if (current && line == "A") {
      current->alive = true;
    } else if (current && line.rfind("T ", 0) == 0) {
      // "T pid 1700000000.123": the marker's mtime, which is when it was written.
      std::istringstream fields(line.substr(2));
      std::string name;
      double seconds = 0;
      if (fields >> name >> seconds) {
        auto when = TimePoint(
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
        if (name == "pid") current->started = when;
        if (name == "exit") current->finished = when;
      }
    } else if (current && line.rfind("F ", 0) == 0) {
      std::size_t space = line.find(' ', 2);
      std::string key = line.substr(2, space == std::string::npos ? std::string::npos : space - 2);
      std::string value = space == std::string::npos ? "" : line.substr(space + 1);
      char* end = nullptr;
      long number = std::strtol(value.c_str(), &end, 10);
      bool numeric = end != value.c_str() && *end == '\0';
      if (key == "pid" && numeric && number > 0) current->pid = number;
      if (key == "exit" && numeric && number >= 0 && number < 256) {
        current->exit_code = static_cast<int>(number);
      }
      if (key == "cancelled") current->cancelled = true;
    }
  }
  return result;
}

JobStatus final_status_from_marker(const std::string& id, const MarkerState& marker) {
  JobStatus status;
  status.id = id;
  status.started = marker.started;
  status.finished = marker.finished;
  status.exit_code = marker.exit_code;
  if (marker.cancelled) {
    status.state = JobState::kCancelled;
    status.native_state = "cancelled";
    status.reason = "cancelled by user";
  } else if (!marker.exit_code) {
    status.state = JobState::kError;
    status.native_state = "lost";
    status.reason = "lost";
    status.error = "the job ended without recording its exit code";
  } else if (*marker.exit_code == 0) {
    status.state = JobState::kCompleted;
    status.native_state = "exited";
    status.reason = "exited with code 0";
  } else {
    status.state = JobState::kFailed;
    status.native_state = "exited";
    int code = *marker.exit_code;
    status.reason = code > 128 && code < 128 + 65 ? "killed by " + signal_name(code - 128) +
                                                        " (exit code " + std::to_string(code) + ")"
                                                  : "exited with code " + std::to_string(code);
  }
  return status;
}

std::string new_job_key() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
                .count();
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "c%011llx%09llx",
                static_cast<unsigned long long>(ms) & 0xfffffffffffULL,
                static_cast<unsigned long long>(random()) & 0xfffffffffULL);
  return buffer;
}

}  // namespace cuttle::detail
