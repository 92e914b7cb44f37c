// The one job finish step, run once a job reached a final state, the same for every
// adaptor: stage the outputs out (stdout and stderr are ordinary stage-out entries, copied
// whatever the job's state), record that in the sandbox so a process that re-attaches
// later never stages out twice and still derives the same state, apply the one
// stage-out-failure rule, then clean up by policy.
//
// The rules, which every adaptor therefore shares:
//   * a stage-out problem (a missing file, a failed copy) is recorded in
//     scheduler_info["stage_out_problems"]; a Completed job becomes Error with reason
//     "stage-out failed: ..." (its output did not arrive: the system failed); a job that
//     already ended otherwise keeps its state and gets "; stage-out failed: ..." on its
//     reason;
//   * cleanup "on-success" removes the sandbox when the final state (after stage-out) is
//     Completed; "always" removes it in every final state; "never" keeps it.
// Thread-safety: a free function; the caller serialises finish steps of one job.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cuttle/file_system.h"
#include "cuttle/job_description.h"
#include "cuttle/job_status.h"
#include "cuttle/sandbox.h"

namespace cuttle::detail {

struct FinishPlan {
  std::vector<StagingEntry> stage_out;  // empty: nothing to copy back
  CleanupPolicy cleanup = CleanupPolicy::kNever;
  // The sandbox has a marker directory (detached local, ssh, batch): the staged_out
  // record is read and written there. Attached local jobs have none.
  bool keeps_record = true;
};

// REQUIRES: is_final(status.state). Updates `status` by the rules above.
// `publish_staging` receives the StagingOut status before any file is copied (not
// called when there is nothing to copy or another process already did it).
void run_finish_step(JobStatus& status, Sandbox& sandbox, FileSystem& target, FileSystem& client,
                     const FinishPlan& plan,
                     const std::function<void(const JobStatus&)>& publish_staging);

// What readers see while a job's outputs are copied back: StagingOut, with the final
// status's times and facts, no exit code or error yet.
JobStatus staging_out_status(const JobStatus& final_status);

// The stage-out rule alone: applies `problems` ("" when all went well) to `status`.
void apply_stage_out_outcome(JobStatus& status, const std::string& problems);

}  // namespace cuttle::detail
