// After a TES task completed: wildcard outputs matched in their staged copy and copied to
// their URLs (once; the record in the staging directory is the witness), and the output
// file logs (url, path, size) of every delivered file.
#include <glob.h>

#include <Poco/URI.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bindings/rest/tes_task.h"

namespace cuttle::rest::tes {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string file_url(const std::string& path) {
  std::string encoded;
  Poco::URI::encode(path, "?#%", encoded);
  return "file://" + encoded;
}

std::string record_path(const json& contract) {
  return contract.value("staging", std::string()) + "/outputs/delivered.json";
}

// {url, path, size_bytes} of `local` (a file) or of every file under it (a directory).
void log_files(const std::string& local, const std::string& container, json& out) {
  std::error_code ec;
  if (fs::is_regular_file(local, ec)) {
    out.push_back({{"url", file_url(local)},
                   {"path", container},
                   {"size_bytes", std::to_string(fs::file_size(local, ec))}});
    return;
  }
  for (fs::recursive_directory_iterator it(local, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string relative = fs::relative(it->path(), local, ec).string();
    out.push_back({{"url", file_url(it->path().string())},
                   {"path", container + "/" + relative},
                   {"size_bytes", std::to_string(it->file_size(ec))}});
  }
}

std::vector<std::string> matches(const std::string& pattern) {
  glob_t found{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), 0, nullptr, &found) == 0) {
    for (std::size_t i = 0; i < found.gl_pathc; ++i) out.emplace_back(found.gl_pathv[i]);
  }
  ::globfree(&found);
  return out;
}

// Copies what one wildcard output matched; appends its file logs and problems.
void deliver_one(const json& output, json& files, std::vector<std::string>& problems) {
  const std::string copy = output.value("cuttle.copy", std::string());
  const std::string directory = output.value("cuttle.directory", std::string());
  const std::string destination = output.value("cuttle.destination", std::string());
  const std::string path = output.value("path", std::string());
  const std::string prefix = output.value("path_prefix", std::string());
  for (const std::string& match : matches(copy + path.substr(directory.size()))) {
    const std::string container = directory + match.substr(copy.size());
    std::string pruned = container.substr(std::min(prefix.size(), container.size()));
    while (!pruned.empty() && pruned.front() == '/') pruned.erase(0, 1);
    const fs::path target = fs::path(destination) / pruned;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    fs::copy(match, target, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    if (ec) {
      problems.push_back(path + ": cannot copy " + container + ": " + ec.message());
      continue;
    }
    log_files(target.string(), container, files);
  }
}

}  // namespace

std::vector<std::string> deliver_wildcard_outputs(const json& contract) {
  const std::string record = record_path(contract);
  std::error_code ec;
  if (fs::exists(record, ec)) {
    const json done = json::parse(std::ifstream(record), nullptr, false);
    return done.is_object() ? done.value("problems", std::vector<std::string>{})
                            : std::vector<std::string>{};
  }
  std::vector<std::string> problems;
  json files = json::array();
  const json outputs =
      contract.contains("task") ? contract["task"].value("outputs", json::array()) : json::array();
  for (const auto& output : outputs) {
    if (output.contains("cuttle.copy")) deliver_one(output, files, problems);
  }
  fs::create_directories(fs::path(record).parent_path(), ec);
  std::ofstream(record) << json{{"problems", problems}, {"files", files}}.dump();
  return problems;
}

json output_file_logs(const json& contract) {
  json files = json::array();
  const json outputs =
      contract.contains("task") ? contract["task"].value("outputs", json::array()) : json::array();
  for (const auto& output : outputs) {
    if (output.contains("cuttle.copy")) continue;
    log_files(output.value("cuttle.destination", std::string()),
              output.value("path", std::string()), files);
  }
  if (!contract.contains("staging")) return files;
  const json done = json::parse(std::ifstream(record_path(contract)), nullptr, false);
  if (done.is_object() && done.contains("files")) {
    for (const auto& f : done["files"]) files.push_back(f);
  }
  return files;
}

}  // namespace cuttle::rest::tes
