// The stage-out plan a detached job keeps in its sandbox (D/.cuttle/stage_out), so that a
// scheduler object that re-attaches to the job later can still copy its output back.
// Format: source NUL destination NUL, per entry (the same bytes local detached and the
// batch engine write). Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "cuttle/file_system.h"
#include "cuttle/job_description.h"

namespace cuttle::detail {

inline constexpr const char* kStageOutPlanFile = "stage_out";

std::string encode_stage_out_plan(const std::vector<StagingEntry>& entries);
// A truncated trailing entry is dropped.
std::vector<StagingEntry> decode_stage_out_plan(const std::string& text);

// The plan recorded in `sandbox` (empty when it has none or cannot be read: logged).
std::vector<StagingEntry> read_stage_out_plan(FileSystem& files, const std::string& sandbox);

}  // namespace cuttle::detail
