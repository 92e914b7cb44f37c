// The marker reader: one command for many sandboxes, its parser, and the final state a
// record implies.
#include "internal/job_markers.h"

#include <cstdlib>
#include <sstream>

#include "cuttle/shell.h"
#include "internal/container_runtime.h"

namespace cuttle::detail {

std::vector<std::pair<std::string, std::string>> name_marker(const std::string& name) {
  if (name.empty()) return {};
  return {{std::string(kMarkerDir) + "/name", name}};
}

std::string record_exit_line(const std::string& markers, const std::string& value_expr) {
  // `set +C` after the status is taken, so the rest of the script may overwrite its files.
  return "set -C; echo " + value_expr + " 2>/dev/null > " + quote(markers + "/exit") +
         "; cuttle_recorded=$?; set +C; [ \"$cuttle_recorded\" -eq 0 ]";
}

std::vector<std::string> read_markers_argv(const std::vector<std::string>& sandboxes) {
  static const char* kScript =
      "for d in \"$@\"; do\n"
      "  m=\"$d/.cuttle\"\n"
      "  if [ -d \"$m\" ]; then\n"
      "    printf 'D %s\\n' \"$d\"\n"
      // Alive first, the files after: the wrapper writes its exit marker before it exits,
      // so one found gone here has written it before the files are read. (Read the other
      // way round, a wrapper that recorded its exit and died in between read as gone
      // without one: a cancelled job then ended without its exit code.)
      "    if [ -f \"$m/pid\" ] && kill -0 \"$(head -c 32 \"$m/pid\")\" 2>/dev/null; then "
      "printf 'A\\n'; fi\n"
      "    for f in pid exit container container_err launch_err; do\n"
      "      if [ -f \"$m/$f\" ]; then read -r v < \"$m/$f\"; printf 'F %s %s\\n' \"$f\" \"$v\"; "
      "fi\n"
      "    done\n"
      "    if [ -f \"$m/steps\" ]; then while read -r v; do printf 'S %s\\n' \"$v\"; done < "
      "\"$m/steps\"; fi\n"
      "    [ -e \"$m/cancelled\" ] && printf 'F cancelled\\n'\n"
      "    [ -e \"$m/staged_out\" ] && printf 'F staged_out\\n'\n"
      "    [ -e \"$m/waiting\" ] && printf 'F waiting\\n'\n"
      "    find \"$m\" -maxdepth 1 \\( -name pid -o -name exit \\) -printf 'T %f %T@\\n' "
      "2>/dev/null\n"
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
    } else if (current && line.rfind("S ", 0) == 0) {
      // "S 3": one step's exit code (`read` also returns a torn last line: not a code).
      for (int code : parse_steps_marker(line.substr(2) + "\n")) {
        current->step_exit_codes.push_back(code);
      }
    } else if (current && line.rfind("F ", 0) == 0) {
      std::size_t space = line.find(' ', 2);
      std::string key = line.substr(2, space == std::string::npos ? std::string::npos : space - 2);
      std::string value = space == std::string::npos ? "" : line.substr(space + 1);
      if (key == "pid") {
        char* end = nullptr;
        long number = std::strtol(value.c_str(), &end, 10);
        if (end != value.c_str() && *end == '\0' && number > 0) current->pid = number;
      } else if (key == "exit") {
        if (auto exit = parse_exit_marker(value)) {
          current->exit_code = exit->code;
          current->cause = exit->cause;
        }
      } else if (key == "cancelled") {
        current->cancelled = true;
      } else if (key == "staged_out") {
        current->staged_out = true;
      } else if (key == "waiting") {
        current->waiting = true;
      } else if (key == "container") {
        current->container = value;
      } else if (key == "container_err") {
        current->container_error = value;
      } else if (key == "launch_err") {
        current->launch_error = value;
      }
    }
  }
  for (auto& [sandbox, state] : result) {
    if (!state.exit_code) state.finished.reset();
  }
  return result;
}

JobStatus final_status_from_marker(const std::string& id, const MarkerState& marker) {
  JobStatus status;
  status.id = id;
  status.started = marker.started;
  status.finished = marker.finished;
  status.exit_code = marker.exit_code;
  status.step_exit_codes = marker.step_exit_codes;
  const std::string how = marker.exit_code ? describe_exit_code(*marker.exit_code) : "";
  if (marker.exit_code && marker.cause == EndCause::kDependency) {
    status.state = JobState::kError;
    status.native_state = "DependencyNeverSatisfied";
    status.reason = kDependencyNeverSatisfied;
    status.error = kDependencyNeverSatisfied;
    status.exit_code.reset();  // the job never ran: the wrapper's code and start are not its
    status.started.reset();
  } else if (marker.exit_code && marker.cause == EndCause::kDeadline) {
    status.state = JobState::kExpired;
    status.native_state = "deadline";
    status.reason = deadline_reason(*marker.exit_code);
  } else if (marker.exit_code && marker.cause == EndCause::kSignal) {
    status.state = JobState::kCancelled;
    status.native_state = "terminated";
    status.reason = "terminated from outside Cuttle (" + how + ")";
  } else if ((marker.exit_code && marker.cause == EndCause::kCancel) ||
             (marker.cancelled && (!marker.exit_code || *marker.exit_code != 0))) {
    status.state = JobState::kCancelled;
    status.native_state = "cancelled";
    status.reason = marker.exit_code ? "cancelled by user (" + how + ")" : "cancelled by user";
  } else if (marker.exit_code && *marker.exit_code != 0 && !marker.launch_error.empty()) {
    status.state = JobState::kError;
    status.native_state = "launch";
    status.reason = marker.launch_error.starts_with(kWrapperFailurePrefix)
                        ? marker.launch_error.substr(kWrapperFailurePrefix.size())
                        : marker.launch_error;
    status.error = status.reason;
  } else if (auto failure = marker.exit_code
                                ? container_failure(marker.container, *marker.exit_code,
                                                    marker.container_error)
                                : std::nullopt) {
    status.state = JobState::kError;
    status.native_state = "container";
    status.reason = *failure;
    status.error = *failure;
  } else if (!marker.exit_code) {
    status.state = JobState::kError;
    status.native_state = "lost";
    status.reason = "lost";
    status.error = "the job ended without recording its exit code";
  } else {
    status.state = *marker.exit_code == 0 ? JobState::kCompleted : JobState::kFailed;
    status.native_state = "exited";
    status.reason = how;
  }
  return status;
}

}  // namespace cuttle::detail
