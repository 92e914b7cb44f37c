// Slurm job states (slurm/slurm.h, job_state_string()) mapped once.
#include "adaptors/slurm/slurm_states.h"

#include <array>

namespace cuttle::detail::slurm {
namespace {

using enum JobState;

constexpr std::array kTable = {
    StateMapping{"PENDING", kQueued, false, "waiting for resources"},
    StateMapping{"CONFIGURING", kQueued, false, "resources allocated, nodes booting"},
    StateMapping{"REQUEUED", kQueued, false, "requeued"},
    StateMapping{"REQUEUE_HOLD", kQueued, false, "requeued and held"},
    StateMapping{"REQUEUE_FED", kQueued, false, "requeued by the federation"},
    StateMapping{"RESV_DEL_HOLD", kQueued, false, "held: its reservation was deleted"},
    // Not final (issue 14): with PreemptMode=REQUEUE the job runs again. Where preemption
    // cancels instead, the job leaves the queue and its wrapper's record ("terminated from
    // outside") decides.
    StateMapping{"PREEMPTED", kQueued, false, "preempted by a higher-priority job; requeued"},
    StateMapping{"RUNNING", kRunning, false, "running"},
    StateMapping{"COMPLETING", kRunning, false, "finishing: processes being cleaned up"},
    StateMapping{"SUSPENDED", kRunning, false, "suspended (still allocated)"},
    StateMapping{"STOPPED", kRunning, false, "stopped by SIGSTOP (still allocated)"},
    StateMapping{"RESIZING", kRunning, false, "changing size"},
    StateMapping{"SIGNALING", kRunning, false, "being signalled"},
    StateMapping{"STAGE_OUT", kRunning, false, "burst buffer stage-out"},
    StateMapping{"COMPLETED", kCompleted, false, "exit code 0"},
    StateMapping{"FAILED", kFailed, true, "non-zero exit code"},
    StateMapping{"OUT_OF_MEMORY", kFailed, true, "killed: out of memory"},
    StateMapping{"SPECIAL_EXIT", kFailed, true, "special exit state"},
    StateMapping{"CANCELLED", kCancelled, false, "cancelled"},
    StateMapping{"TIMEOUT", kExpired, false, "time limit reached"},
    StateMapping{"DEADLINE", kExpired, false, "deadline reached"},
    // Error, so that a retry_limit resubmits it.
    StateMapping{"NODE_FAIL", kError, false, "a node failed"},
    StateMapping{"BOOT_FAIL", kError, false, "a node failed to boot"},

    StateMapping{"REVOKED", kError, false, "revoked: a federation sibling ran it"},
};

}  // namespace

std::optional<StateMapping> map_state(std::string_view native) {
  // sacct writes "CANCELLED by 1000".
  native = native.substr(0, native.find(' '));
  for (const StateMapping& m : kTable) {
    if (m.native == native) return m;
  }
  return std::nullopt;
}

}  // namespace cuttle::detail::slurm
