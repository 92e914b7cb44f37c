// The per-user job index: one JSON file per job, written by rename.
#include "bindings/cli/job_index.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bindings/cli/output.h"
#include "cuttle/error.h"

namespace cuttle::cli {
namespace fs = std::filesystem;
namespace {

// File names keep the id readable but safe: anything outside [A-Za-z0-9._-] becomes '_'.
std::string safe_name(const std::string& id) {
  std::string out = id.substr(0, 80);
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  return out;
}

nlohmann::json to_json(const IndexedJob& job) {
  return {{"id", job.id},
          {"location", job.location},
          {"properties", job.properties},
          {"user", job.user},
          {"identity", job.identity},
          {"name", job.name},
          {"command", job.command},
          {"working_directory", job.working_directory},
          {"stdout", job.stdout_path},
          {"stderr", job.stderr_path},
          {"submitted", format_time(job.submitted)}};
}

IndexedJob from_json(const nlohmann::json& j) {
  IndexedJob job;
  job.id = j.at("id").get<std::string>();
  job.location = j.at("location").get<std::string>();
  job.properties = j.value("properties", std::map<std::string, std::string>{});
  job.user = j.value("user", "");
  job.identity = j.value("identity", "");
  job.name = j.value("name", "");
  job.command = j.value("command", std::vector<std::string>{});
  job.working_directory = j.value("working_directory", "");
  job.stdout_path = j.value("stdout", "");
  job.stderr_path = j.value("stderr", "");
  job.submitted = parse_time(j.at("submitted").get<std::string>());
  return job;
}

// nullopt for an unreadable entry: a hand-edited or truncated file must not hide every
// other job.
std::optional<IndexedJob> read_entry(const fs::path& path) {
  std::ifstream in(path);
  auto parsed = nlohmann::json::parse(in, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  try {
    return from_json(parsed);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

SchedulerOptions IndexedJob::scheduler_options(const SchedulerOptions& given) const {
  SchedulerOptions options = given;
  for (const auto& [key, value] : properties) options.properties.emplace(key, value);
  if (options.credential.user.empty()) options.credential.user = user;
  if (options.credential.kind == Credential::Kind::kDefault && !identity.empty()) {
    options.credential.kind = Credential::Kind::kKeyFile;
    options.credential.key_file = identity;
  }
  return options;
}

std::string JobIndex::default_directory() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state != nullptr && state[0] == '/') return std::string(state) + "/cuttle";
  const char* home = std::getenv("HOME");
  std::string base = home != nullptr && home[0] == '/' ? home : "";
  if (base.empty()) {
    if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir) {
      base = entry->pw_dir;
    }
  }
  if (base.empty()) base = "/tmp";
  return base + "/.local/state/cuttle";
}

JobIndex::JobIndex(std::string directory) : directory_(std::move(directory)) {}

std::string JobIndex::file_for(const IndexedJob& job) const {
  std::ostringstream name;
  name << directory_ << "/jobs/" << safe_name(job.id) << '@' << std::hex
       << std::hash<std::string>{}(job.location) << ".json";
  return name.str();
}

void JobIndex::add(const IndexedJob& job) const {
  const std::string path = file_for(job);
  const std::string temporary = path + ".tmp" + std::to_string(::getpid());
  std::error_code ec;
  fs::create_directories(directory_ + "/jobs", ec);
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << to_json(job).dump() << "\n";
    if (!out.flush()) ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec) fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw InternalError("job index: cannot write " + path + ": " + ec.message());
  }
}

std::vector<IndexedJob> JobIndex::all() const {
  std::vector<IndexedJob> jobs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_ + "/jobs", ec)) {
    if (entry.path().extension() != ".json") continue;
    if (auto job = read_entry(entry.path())) jobs.push_back(std::move(*job));
  }
  return jobs;
}

std::vector<IndexedJob> JobIndex::find(const std::string& id) const {
  std::vector<IndexedJob> found;
  const std::string prefix = safe_name(id) + '@';
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_ + "/jobs", ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) != 0) continue;
    auto job = read_entry(entry.path());
    if (job && job->id == id) found.push_back(std::move(*job));
  }
  return found;
}

std::vector<IndexedJob> JobIndex::recent(std::size_t limit) const {
  std::vector<IndexedJob> jobs = all();
  std::sort(jobs.begin(), jobs.end(),
            [](const IndexedJob& a, const IndexedJob& b) { return a.submitted > b.submitted; });
  if (jobs.size() > limit) jobs.resize(limit);
  return jobs;
}

std::size_t JobIndex::remove_if(const std::function<bool(const IndexedJob&)>& forget) const {
  std::size_t removed = 0;
  for (const IndexedJob& job : all()) {
    std::error_code ec;
    if (forget(job) && fs::remove(file_for(job), ec)) ++removed;
  }
  return removed;
}

}  // namespace cuttle::cli
