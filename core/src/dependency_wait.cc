// The wrapper's hold of a job until its dependencies are met.
#include "internal/dependency_wait.h"

#include "cuttle/shell.h"
#include "internal/job_markers.h"

namespace cuttle::detail {
namespace {

// cuttle_dep CONDITION MARKERS: 0 when met, 1 when it can never be; waits otherwise.
// A dependency "ended" once its exit marker holds a record, or once its wrapper (the pid
// it recorded) is gone without one (killed, or cancelled while it waited itself), or it
// was cancelled before its wrapper recorded a pid, or its sandbox is gone (cleaned up):
// a hold never outlives what it waits for.
// Completed is exit 0 without a cause, as final_status_from_marker reads it.
constexpr const char* kDependencyFunction =
    "cuttle_dep() {\n"
    "  while :; do\n"
    "    cuttle_c= cuttle_w= cuttle_p=\n"
    "    [ -s \"$2/exit\" ] && read -r cuttle_c cuttle_w < \"$2/exit\"\n"
    "    [ -d \"$2\" ] || cuttle_c=lost\n"
    "    if [ -z \"$cuttle_c\" ] && { [ -s \"$2/pid\" ] || [ -e \"$2/cancelled\" ]; }; then\n"
    "      cuttle_p=; [ -s \"$2/pid\" ] && read -r cuttle_p < \"$2/pid\"\n"
    "      if { [ -z \"$cuttle_p\" ] || ! kill -0 \"$cuttle_p\" 2>/dev/null; } && [ ! -s "
    "\"$2/exit\" ]; then\n"
    "        cuttle_c=lost\n"
    "      fi\n"
    "    fi\n"
    "    if [ -n \"$cuttle_c\" ]; then\n"
    "      cuttle_ok=; [ \"$cuttle_c\" = 0 ] && [ -z \"$cuttle_w\" ] && cuttle_ok=1\n"
    "      case $1 in\n"
    "        ok) [ -n \"$cuttle_ok\" ]; return ;;\n"
    "        notok) [ -z \"$cuttle_ok\" ]; return ;;\n"
    "        *) return 0 ;;\n"
    "      esac\n"
    "    fi\n"
    "    [ \"$1\" = start ] && [ -s \"$2/pid\" ] && [ ! -e \"$2/waiting\" ] && return 0\n"
    "    sleep 1 & wait $!\n"
    "  done\n"
    "}\n";

const char* shell_word(DependencyCondition condition) {
  switch (condition) {
    case DependencyCondition::kAfterOk:
      return "ok";
    case DependencyCondition::kAfterNotOk:
      return "notok";
    case DependencyCondition::kAfterAny:
      return "any";
    case DependencyCondition::kAfterStart:
      return "start";
  }
  return "ok";
}

}  // namespace

std::string render_dependency_wait(const std::vector<JobDependency>& dependencies,
                                   const std::string& root, const std::string& markers) {
  if (dependencies.empty()) return {};
  const std::string waiting = quote(markers + "/" + kWaitingMarker);
  // The waiting marker before the pid: a dependent with after_start never sees a pid
  // without it. The pid at once: cancel and liveness read it while the job waits.
  std::string s = ": > " + waiting + "\necho \"$$\" > " + quote(markers + "/pid") + "\n";
  s += kDependencyFunction;
  for (const JobDependency& d : dependencies) {
    s += "cuttle_dep " + std::string(shell_word(d.condition)) + " " +
         quote(root + "/" + d.job_id + "/" + kMarkerDir) + " || {\n";
    s += "  " + record_exit_line(markers, "'1 dependency'") + "\n  exit 1\n}\n";
  }
  s += "rm -f " + waiting + "\n";
  return s;
}

}  // namespace cuttle::detail
