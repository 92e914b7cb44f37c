// The pod's sh wrappers, from core's wrapper pieces and the pod's fixed marker paths.
#include "adaptors/kubernetes/pod_wrapper.h"

#include "internal/job_markers.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail {
namespace {

// Every variable of the wrappers is cuttle_-prefixed: the command inherits the wrapper's
// environment (the job's), and an assignment to a name the job exports would change it.
const std::string kMarkers = "/work/.cuttle";

// Holds the pod until the outputs were copied out; not when it is being deleted (a
// cancel, or someone's TERM): nobody will copy them, and the kubelet would only KILL it.
constexpr const char* kHoldForStageOut =
    "case $cuttle_c in *' signal'|*' cancel') ;; *)\n"
    "  while [ ! -e /work/.cuttle/done ]; do sleep 0.2; done ;;\n"
    "esac\n";

constexpr const char* kWaitForInputs = "while [ ! -e /work/.cuttle/go ]; do sleep 0.2; done\n";

// Runs the command ("$@") in the background with the redirections `redirect`, under the
// stop functions and, when $cuttle_a is set, the watchdog (`elapsed`: seconds of the
// allocation used before this container started); then records the end in
// `record_dir`/exit (the first record wins: the escalation may have written it) and as
// the termination message, leaving it in $cuttle_c.
std::string run_and_record(const std::string& record_dir, const std::string& redirect,
                           const std::string& elapsed, std::chrono::seconds grace) {
  std::string s = "cuttle_wrapper=$$ cuttle_how= cuttle_child= cuttle_dog=\n";
  s += render_stop_functions(record_dir, grace);
  s += "( trap - INT QUIT\n" + redirect + "  exec \"$@\" ) &\n";
  s += "cuttle_child=$!\n";
  s += "[ -z \"$cuttle_how\" ] || cuttle_end\n";
  s += "if [ -n \"$cuttle_a\" ]; then\n" + render_watchdog(record_dir, "$cuttle_a", elapsed) +
       "fi\n";
  s += render_wait_loop();
  s += "[ -z \"$cuttle_dog\" ] || kill \"$cuttle_dog\" 2>/dev/null\n";
  s += record_exit_line(record_dir, "\"$cuttle_rc${cuttle_how:+ $cuttle_how}\"") + "\n";
  s += "read -r cuttle_c < '" + record_dir + "/exit' || cuttle_c=$cuttle_rc\n";
  s += "{ echo \"$cuttle_c\" > " + std::string(kTerminationLog) + "; } 2>/dev/null\n";
  return s;
}

constexpr const char* kJobRedirect =
    "  if [ -n \"$cuttle_i\" ]; then exec <\"$cuttle_i\"; fi\n"
    "  if [ -n \"$cuttle_o\" ]; then exec >\"$cuttle_o\"; fi\n"
    "  if [ -n \"$cuttle_e\" ]; then exec 2>\"$cuttle_e\"; fi\n";

constexpr const char* kStepRedirect =
    "  if [ -n \"$cuttle_i\" ]; then exec <\"$cuttle_i\"; fi\n"
    "  if [ -n \"$cuttle_o\" ]; then cuttle_parent \"$cuttle_o\"\n"
    "    if [ \"$cuttle_oa\" = 1 ]; then exec >>\"$cuttle_o\"; else exec >\"$cuttle_o\"; fi\n"
    "  fi\n"
    "  if [ -n \"$cuttle_e\" ]; then cuttle_parent \"$cuttle_e\"\n"
    "    if [ \"$cuttle_ea\" = 1 ]; then exec 2>>\"$cuttle_e\"; else exec 2>\"$cuttle_e\"; fi\n"
    "  fi\n";

// Seconds of the shared allocation the steps before this one used, from the first step's
// start (recorded in t0 by whichever step runs first); 0 where `date` fails.
constexpr const char* kStepElapsed =
    "cuttle_u=0\n"
    "if [ -n \"$cuttle_a\" ]; then\n"
    "  cuttle_t=$(date +%s 2>/dev/null); case $cuttle_t in ''|*[!0-9]*) cuttle_t= ;; esac\n"
    "  if [ -s /work/.cuttle/t0 ]; then read -r cuttle_t0 < /work/.cuttle/t0\n"
    "  else cuttle_t0=$cuttle_t; echo \"$cuttle_t\" > /work/.cuttle/t0; fi\n"
    "  case $cuttle_t0 in ''|*[!0-9]*) ;; *) [ -z \"$cuttle_t\" ] || [ \"$cuttle_t\" -le "
    "\"$cuttle_t0\" ] || cuttle_u=$((cuttle_t - cuttle_t0)) ;; esac\n"
    "fi\n";

}  // namespace

std::string job_wrapper(std::chrono::seconds cancel_grace) {
  std::string s = "cuttle_i=$1 cuttle_o=$2 cuttle_e=$3 cuttle_h=$4 cuttle_a=$5; shift 5\n";
  s += "[ -d /work/.cuttle ] || mkdir -p /work/.cuttle\n";
  s += "if [ \"$cuttle_h\" = 1 ]; then\n" + std::string(kWaitForInputs) + "fi\n";
  s += run_and_record(kMarkers, kJobRedirect, "0", cancel_grace);
  s += "if [ \"$cuttle_h\" = 1 ]; then\n" + std::string(kHoldForStageOut) + "fi\n";
  s += "exit \"$cuttle_rc\"\n";
  return s;
}

// A step that ended non-zero (without ignore_error) or by a cause (the deadline, a TERM)
// leaves its record in /work/.cuttle/stop: the steps after it do not run, and the last one
// exits with its code. The staged last step records the job's end for stage-out even when
// it was skipped.
std::string step_wrapper(std::size_t index, bool last, std::chrono::seconds cancel_grace) {
  const std::string record_dir = last ? kMarkers : kMarkers + "/step" + std::to_string(index);
  std::string s = "cuttle_w=$1 cuttle_jo=$2 cuttle_je=$3 cuttle_h=$4 cuttle_l=$5 cuttle_ig=$6\n";
  s += "cuttle_i=$7 cuttle_o=$8 cuttle_oa=$9 cuttle_e=${10} cuttle_ea=${11} cuttle_a=${12}\n";
  s += "shift 12\n";
  s += "cuttle_parent() { cuttle_d=${1%/*}; [ -z \"$cuttle_d\" ] || mkdir -p \"$cuttle_d\"; }\n";
  s += "if [ \"$cuttle_w\" = 1 ]; then\n" + std::string(kWaitForInputs);
  s += "  for cuttle_f in \"$cuttle_jo\" \"$cuttle_je\"; do\n";
  s += "    if [ -n \"$cuttle_f\" ]; then cuttle_parent \"$cuttle_f\"; : > \"$cuttle_f\"; fi\n";
  s += "  done\n";
  s += "fi\n";
  s += "mkdir -p '" + record_dir + "'\n";
  s += "if [ -e /work/.cuttle/stop ]; then\n";
  s += "  read -r cuttle_c < /work/.cuttle/stop\n";
  s += "else\n";
  s += kStepElapsed;
  s += run_and_record(record_dir, kStepRedirect, "$cuttle_u", cancel_grace);
  s += "  case $cuttle_c in\n";
  s += "    *' '*) echo \"$cuttle_c\" > /work/.cuttle/stop ;;\n";
  s += "    0) ;;\n";
  s += "    *) [ \"$cuttle_ig\" = 1 ] || echo \"$cuttle_c\" > /work/.cuttle/stop ;;\n";
  s += "  esac\n";
  s += "fi\n";
  s += "if [ \"$cuttle_h\" = 1 ]; then\n";
  s += "  [ -s /work/.cuttle/exit ] || echo \"$cuttle_c\" > /work/.cuttle/exit\n";
  s += kHoldForStageOut;
  s += "fi\n";
  s += "if [ \"$cuttle_l\" = 1 ]; then exit \"${cuttle_c%% *}\"; fi\n";
  s += "exit 0\n";
  return s;
}

}  // namespace cuttle::detail
