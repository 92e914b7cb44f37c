// The job finish step: stage-out with its idempotent record, the stage-out rule, cleanup.
#include "internal/finish_step.h"

#include <algorithm>

#include "cuttle/error.h"
#include "internal/job_markers.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

constexpr const char* kStagedOutFile = "staged_out";

std::string record_path(const Sandbox& sandbox) {
  return sandbox.path() + "/" + kMarkerDir + "/" + kStagedOutFile;
}

// The problems another process recorded, or nullopt when nobody staged out yet.
std::optional<std::string> read_record(FileSystem& target, const Sandbox& sandbox) {
  try {
    if (!target.stat(record_path(sandbox))) return std::nullopt;
    return target.read_file(record_path(sandbox));
  } catch (const Error& e) {
    log(LogLevel::kWarn, "finish", "could not read the staged_out record",
        {{"sandbox", sandbox.path()}, {"error", e.what()}});
    return std::nullopt;
  }
}

std::string stage_out(Sandbox& sandbox, FileSystem& client,
                      const std::vector<StagingEntry>& entries) {
  JobDescription list;
  list.stage_out = entries;
  try {
    std::string text;
    for (const std::string& p : sandbox.stage_out(client, list)) {
      text += (text.empty() ? "" : "; ") + p;
    }
    return text;
  } catch (const Error& e) {
    return e.what();
  }
}

// What cleanup leaves in the sandbox: the job's record (so every later reader derives
// the same final state) and the wrapper's default stdout/stderr files unless a stage-out
// entry copied them — a job's output survives cleanup until `cuttle clean` or the
// service's retention removes what is left.
std::vector<std::string> kept_by_cleanup(const FinishPlan& plan) {
  std::vector<std::string> keep = {kMarkerDir};
  for (const char* output : {kDefaultStdoutFile, kDefaultStderrFile}) {
    const bool copied = std::any_of(plan.stage_out.begin(), plan.stage_out.end(),
                                    [&](const StagingEntry& e) { return e.source == output; });
    if (!copied) keep.emplace_back(output);
  }
  return keep;
}

}  // namespace

JobStatus staging_out_status(const JobStatus& final_status) {
  JobStatus staging = final_status;
  staging.state = JobState::kStagingOut;
  staging.native_state = "staging-out";
  staging.reason = "copying output back";
  staging.exit_code.reset();
  staging.error.reset();
  return staging;
}

void apply_stage_out_outcome(JobStatus& status, const std::string& problems) {
  if (problems.empty()) return;
  status.scheduler_info["stage_out_problems"] = problems;
  if (status.state == JobState::kCompleted) {
    status.state = JobState::kError;
    status.error = "stage-out failed: " + problems;
    status.reason = *status.error;
  } else {
    status.reason +=
        (status.reason.empty() ? "" : "; ") + std::string("stage-out failed: ") + problems;
  }
}

void run_finish_step(JobStatus& status, Sandbox& sandbox, FileSystem& target, FileSystem& client,
                     const FinishPlan& plan,
                     const std::function<void(const JobStatus&)>& publish_staging) {
  if (!plan.stage_out.empty()) {
    std::optional<std::string> recorded;
    if (plan.keeps_record) recorded = read_record(target, sandbox);
    if (recorded) {
      apply_stage_out_outcome(status, *recorded);  // the same state the first process saw
    } else {
      if (publish_staging) publish_staging(staging_out_status(status));
      const std::string problems = stage_out(sandbox, client, plan.stage_out);
      if (plan.keeps_record) {
        try {
          target.write_file(record_path(sandbox), problems, 0644);
        } catch (const Error& e) {
          log(LogLevel::kWarn, "finish", "could not record the stage-out",
              {{"sandbox", sandbox.path()}, {"error", e.what()}});
        }
      }
      apply_stage_out_outcome(status, problems);
    }
  }
  const bool remove =
      plan.cleanup == CleanupPolicy::kAlways ||
      (plan.cleanup == CleanupPolicy::kOnSuccess && status.state == JobState::kCompleted);
  if (remove) {
    try {
      sandbox.cleanup_except(kept_by_cleanup(plan));
    } catch (const Error& e) {
      log(LogLevel::kWarn, "finish", "sandbox cleanup failed",
          {{"sandbox", sandbox.path()}, {"error", e.what()}});
    }
  }
}

}  // namespace cuttle::detail
