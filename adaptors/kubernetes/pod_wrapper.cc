// The pod's sh wrappers, from core's wrapper pieces and the pod's fixed marker paths.
#include "adaptors/kubernetes/pod_wrapper.h"

#include "internal/job_markers.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail {
namespace {

const std::string kMarkers = "/work/.cuttle";

// Holds the pod until the outputs were copied out; not when it is being deleted (a
// cancel, or someone's TERM): nobody will copy them, and the kubelet would only KILL it.
// `record` is the shell variable holding the recorded end.
std::string hold_for_stage_out(const std::string& record) {
  return "case $" + record + " in *' signal'|*' cancel') ;; *)\n" +
         "  while [ ! -e \"$m/done\" ]; do sleep 0.2; done ;;\nesac\n";
}

// Runs the command ("$@") in the background with the redirections of $i/$o/$e, under the
// stop functions and, when $a is set, the watchdog (`elapsed`: seconds of the allocation
// used before this container started); then records the end in `record_dir`/exit (the
// first record wins: the escalation may have written it) and as the termination message,
// leaving it in $c.
std::string run_and_record(const std::string& record_dir, const std::string& redirect,
                           const std::string& elapsed, std::chrono::seconds grace) {
  std::string s = "cuttle_wrapper=$$ cuttle_how= cuttle_child= cuttle_dog=\n";
  s += render_stop_functions(record_dir, grace);
  s += "( trap - INT QUIT\n" + redirect + "  exec \"$@\" ) &\n";
  s += "cuttle_child=$!\n";
  s += "[ -z \"$cuttle_how\" ] || cuttle_end\n";
  s += "if [ -n \"$a\" ]; then\n" + render_watchdog(record_dir, "$a", elapsed) + "fi\n";
  s += render_wait_loop();
  s += "[ -z \"$cuttle_dog\" ] || kill \"$cuttle_dog\" 2>/dev/null\n";
  s += record_exit_line(record_dir, "\"$cuttle_rc${cuttle_how:+ $cuttle_how}\"") + "\n";
  s += "read -r c < \"" + record_dir + "/exit\" || c=$cuttle_rc\n";
  s += "{ echo \"$c\" > " + std::string(kTerminationLog) + "; } 2>/dev/null\n";
  return s;
}

constexpr const char* kJobRedirect =
    "  if [ -n \"$i\" ]; then exec <\"$i\"; fi\n"
    "  if [ -n \"$o\" ]; then exec >\"$o\"; fi\n"
    "  if [ -n \"$e\" ]; then exec 2>\"$e\"; fi\n";

constexpr const char* kStepRedirect =
    "  if [ -n \"$i\" ]; then exec <\"$i\"; fi\n"
    "  if [ -n \"$o\" ]; then parent \"$o\"; if [ \"$oa\" = 1 ]; then exec >>\"$o\"; else exec "
    ">\"$o\"; fi; fi\n"
    "  if [ -n \"$e\" ]; then parent \"$e\"; if [ \"$ea\" = 1 ]; then exec 2>>\"$e\"; else exec "
    "2>\"$e\"; fi; fi\n";

// Seconds of the shared allocation the steps before this one used, from the first step's
// start (recorded in $m/t0 by whichever step runs first); 0 where `date` fails.
constexpr const char* kStepElapsed =
    "u=0\n"
    "if [ -n \"$a\" ]; then\n"
    "  t=$(date +%s 2>/dev/null); case $t in ''|*[!0-9]*) t= ;; esac\n"
    "  if [ -s \"$m/t0\" ]; then read -r t0 < \"$m/t0\"; else t0=$t; echo \"$t\" > \"$m/t0\"; fi\n"
    "  case $t0 in ''|*[!0-9]*) ;; *) [ -z \"$t\" ] || [ \"$t\" -le \"$t0\" ] || u=$((t - t0)) ;; "
    "esac\n"
    "fi\n";

}  // namespace

std::string job_wrapper(std::chrono::seconds cancel_grace) {
  std::string s = "i=$1; o=$2; e=$3; h=$4; a=$5; shift 5\n";
  s += "m=" + kMarkers + "\n";
  s += "[ -d \"$m\" ] || mkdir -p \"$m\"\n";
  s += "if [ \"$h\" = 1 ]; then while [ ! -e \"$m/go\" ]; do sleep 0.2; done; fi\n";
  s += run_and_record(kMarkers, kJobRedirect, "0", cancel_grace);
  s += "if [ \"$h\" = 1 ]; then\n" + hold_for_stage_out("c") + "fi\n";
  s += "exit \"$cuttle_rc\"\n";
  return s;
}

// A step that ended non-zero (without ignore_error) or by a cause (the deadline, a TERM)
// leaves its record in $m/stop: the steps after it do not run, and the last one exits
// with its code. The staged last step records the job's end for stage-out even when it
// was skipped.
std::string step_wrapper(std::size_t index, bool last, std::chrono::seconds cancel_grace) {
  const std::string record_dir = last ? kMarkers : kMarkers + "/step" + std::to_string(index);
  std::string s = "w=$1; jo=$2; je=$3; h=$4; l=$5; ig=$6\n";
  s += "i=$7; o=$8; oa=$9; e=${10}; ea=${11}; a=${12}; shift 12\n";
  s += "m=" + kMarkers + "\n";
  s += "parent() { d=${1%/*}; [ -z \"$d\" ] || mkdir -p \"$d\"; }\n";
  s += "if [ \"$w\" = 1 ]; then\n";
  s += "  while [ ! -e \"$m/go\" ]; do sleep 0.2; done\n";
  s +=
      "  for f in \"$jo\" \"$je\"; do if [ -n \"$f\" ]; then parent \"$f\"; : > \"$f\"; fi; done\n";
  s += "fi\n";
  s += "mkdir -p \"" + record_dir + "\"\n";
  s += "if [ -e \"$m/stop\" ]; then\n";
  s += "  read -r c < \"$m/stop\"\n";
  s += "else\n";
  s += kStepElapsed;
  s += run_and_record(record_dir, kStepRedirect, "$u", cancel_grace);
  s += "  case $c in *' '*) echo \"$c\" > \"$m/stop\" ;; 0) ;; *) [ \"$ig\" = 1 ] || echo \"$c\" > "
       "\"$m/stop\" ;; esac\n";
  s += "fi\n";
  s += "if [ \"$h\" = 1 ]; then\n";
  s += "  [ -s \"$m/exit\" ] || echo \"$c\" > \"$m/exit\"\n";
  s += hold_for_stage_out("c");
  s += "fi\n";
  s += "if [ \"$l\" = 1 ]; then exit \"${c%% *}\"; fi\n";
  s += "exit 0\n";
  return s;
}

}  // namespace cuttle::detail
