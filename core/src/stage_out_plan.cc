// Encoding of the stage-out plan kept in a detached job's sandbox.
#include "internal/stage_out_plan.h"

#include "cuttle/error.h"
#include "internal/job_markers.h"
#include "internal/log.h"

namespace cuttle::detail {

std::string encode_stage_out_plan(const std::vector<StagingEntry>& entries) {
  std::string text;
  for (const StagingEntry& entry : entries) {
    text += entry.source;
    text.push_back('\0');
    text += entry.destination;
    text.push_back('\0');
  }
  return text;
}

std::vector<StagingEntry> decode_stage_out_plan(const std::string& text) {
  std::vector<StagingEntry> entries;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t a = text.find('\0', at);
    if (a == std::string::npos) break;
    const std::size_t b = text.find('\0', a + 1);
    if (b == std::string::npos) break;
    entries.push_back({text.substr(at, a - at), text.substr(a + 1, b - a - 1)});
    at = b + 1;
  }
  return entries;
}

std::vector<StagingEntry> read_stage_out_plan(FileSystem& files, const std::string& sandbox) {
  const std::string path = sandbox + "/" + kMarkerDir + "/" + kStageOutPlanFile;
  try {
    if (!files.stat(path)) return {};
    return decode_stage_out_plan(files.read_file(path));
  } catch (const Error& e) {
    log(LogLevel::kWarn, "finish", "could not read the stage-out plan",
        {{"sandbox", sandbox}, {"error", e.what()}});
    return {};
  }
}

}  // namespace cuttle::detail
