// final.json: the fields of a final JobStatus, times as milliseconds since the epoch.
#include "adaptors/kubernetes/final_record.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "internal/log.h"

namespace cuttle::detail {
namespace {

constexpr const char* kFile = "/final.json";

nlohmann::json time_json(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
}

std::optional<TimePoint> time_of(const nlohmann::json& value) {
  if (!value.is_number_integer()) return std::nullopt;
  return TimePoint(std::chrono::milliseconds(value.get<std::int64_t>()));
}

}  // namespace

void write_final_record(const std::string& directory, const JobStatus& status) {
  nlohmann::json record = {
      {"id", status.id},
      {"state", to_string(status.state)},
      {"native_state", status.native_state},
      {"reason", status.reason},
      {"exit_code", status.exit_code ? nlohmann::json(*status.exit_code) : nlohmann::json(nullptr)},
      {"error", status.error ? nlohmann::json(*status.error) : nlohmann::json(nullptr)},
      {"submitted", time_json(status.submitted)},
      {"started", time_json(status.started)},
      {"finished", time_json(status.finished)},
      {"step_exit_codes", status.step_exit_codes},
      {"scheduler_info", status.scheduler_info}};
  std::error_code ignored;
  std::filesystem::create_directories(directory, ignored);
  const std::string path = directory + kFile;
  {
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << record.dump();
    if (!out) {
      log(LogLevel::kWarn, "kubernetes", "could not write the final record", {{"path", path}});
      return;
    }
  }
  std::filesystem::rename(path + ".tmp", path, ignored);
}

std::optional<JobStatus> read_final_record(const std::string& directory) {
  std::ifstream in(directory + kFile);
  if (!in) return std::nullopt;
  nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
  if (!record.is_object() || !record.contains("state") || !record["state"].is_string()) {
    return std::nullopt;
  }
  auto state = parse_job_state(record["state"].get<std::string>());
  if (!state || !is_final(*state)) return std::nullopt;
  try {
    JobStatus status;
    status.id = record.value("id", "");
    status.state = *state;
    status.native_state = record.value("native_state", "");
    status.reason = record.value("reason", "");
    if (record["exit_code"].is_number_integer()) status.exit_code = record["exit_code"].get<int>();
    if (record["error"].is_string()) status.error = record["error"].get<std::string>();
    status.submitted = time_of(record["submitted"]);
    status.started = time_of(record["started"]);
    status.finished = time_of(record["finished"]);
    status.scheduler_info = record.value("scheduler_info", std::map<std::string, std::string>{});
    // Written since jobs with steps run on kubernetes://; older records have none.
    status.step_exit_codes = record.value("step_exit_codes", std::vector<int>{});
    return status;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace cuttle::detail
