// POST /api/process/job: the request read case-insensitively and translated.
#include "bindings/rest/process_request.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "bindings/rest/job_request.h"
#include "cuttle/container.h"
#include "cuttle/error.h"
#include "cuttle/sandbox.h"

namespace cuttle::rest {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kLogDirectory = ".logs";

bool same_name(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

[[noreturn]] void reject(const std::string& field, const std::string& reason, int status = 400) {
  throw RequestError(status, field, reason);
}

// One JSON object of the request, its members found whatever their case; `where` is its
// path as the reference spells it ("Runtime.Containers[0]").
class Members {
 public:
  Members(const json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) reject(where_.empty() ? "(body)" : where_, "must be a JSON object");
  }
  // Refuses a member that is none of `known` (or one given twice in different cases).
  void only(const std::vector<std::string>& known) const {
    for (const auto& [key, value] : object_.items()) {
      const auto it = std::find_if(known.begin(), known.end(),
                                   [&](const std::string& k) { return same_name(k, key); });
      if (it == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        reject(path(key), "unknown member (valid: " + list + ")");
      }
    }
  }
  const json* find(const std::string& name) const {
    const json* found = nullptr;
    for (const auto& [key, value] : object_.items()) {
      if (!same_name(key, name)) continue;
      if (found) reject(path(name), "given more than once (member names ignore case)");
      found = &value;
    }
    return found && !found->is_null() ? found : nullptr;
  }
  std::string text(const std::string& name, bool required) const {
    const json* v = find(name);
    if (!v) {
      if (required) reject(path(name), "is required");
      return {};
    }
    if (!v->is_string()) reject(path(name), "must be a string");
    return v->get<std::string>();
  }
  std::vector<std::string> texts(const std::string& name) const {
    std::vector<std::string> out;
    const json* v = find(name);
    if (!v) return out;
    if (!v->is_array()) reject(path(name), "must be a list of strings");
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string())
        reject(path(name) + "[" + std::to_string(i) + "]", "must be a string");
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }
  // The list member `name` (empty when absent).
  const json& list(const std::string& name) const {
    static const json kEmpty = json::array();
    const json* v = find(name);
    if (!v) return kEmpty;
    if (!v->is_array()) reject(path(name), "must be a list");
    return *v;
  }
  std::string path(const std::string& name) const {
    return where_.empty() ? name : where_ + "." + name;
  }

 private:
  const json& object_;
  std::string where_;
};

// A relative path inside /work or the project's directory: confined like every staging
// path ("" is the directory itself when `empty_ok`).
std::string confined(const std::string& path, const std::string& field, bool empty_ok) {
  if (path.empty() && empty_ok) return {};
  try {
    return confine_relative_path(path, field);
  } catch (const InvalidJobDescription& e) {
    reject(e.field(), e.reason());
  }
}

std::string joined(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

int retry_limit_of(const Members& body, const Config& config) {
  const json* v = body.find("RetryLimit");
  if (!v) return config.process.default_retry_limit;
  long long n = -1;
  if (v->is_number_integer()) {
    n = v->get<long long>();
  } else if (v->is_string()) {
    const std::string text = v->get<std::string>();
    if (text.empty() || text.size() > 9 ||
        text.find_first_not_of("0123456789") != std::string::npos)
      reject(body.path("RetryLimit"), "must be a whole number (or a string of one)");
    n = std::stoll(text);
  } else {
    reject(body.path("RetryLimit"), "must be a whole number (or a string of one)");
  }
  if (n < 0 || n > 100) reject(body.path("RetryLimit"), "must be between 0 and 100");
  return static_cast<int>(n);
}

JobStep container_step(const json& entry, std::size_t i, const Config& config, json& accepted) {
  Members c(entry, "Runtime.Containers[" + std::to_string(i) + "]");
  c.only({"Image", "Command"});
  std::string image = c.text("Image", true);
  // No Command: the image's own command runs (its entrypoint and CMD).
  const std::vector<std::string> command = c.texts("Command");
  accepted = {{"Image", image}};
  if (c.find("Command")) accepted["Command"] = command;
  if (auto alias = config.process.images.find(image); alias != config.process.images.end()) {
    image = alias->second;
  }
  try {
    validate_container_image(image);
  } catch (const InvalidJobDescription& e) {
    reject(c.path("Image"), e.reason());
  }
  JobStep step;
  step.container_image = image;
  if (!command.empty()) {
    step.executable = command.front();
    step.arguments.assign(command.begin() + 1, command.end());
  }
  step.stdout_path = process_log_name(i, false);
  step.stderr_path = process_log_name(i, true);
  return step;
}

// Every file under `root` (recursively; symbolic links and special files are not
// followed), as paths relative to it, minus the excluded names: an excluded entry
// matches a file's relative path or its name.
std::vector<std::string> platform_files(const fs::path& root, const std::set<std::string>& excluded,
                                        std::size_t limit, const std::string& field) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(root, ec))) return files;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::file_status status = it->symlink_status(ec);
    if (ec || !fs::is_regular_file(status)) continue;
    const std::string relative = fs::relative(it->path(), root, ec).generic_string();
    if (ec || excluded.count(relative) || excluded.count(it->path().filename().string())) continue;
    files.push_back(relative);
    if (files.size() > limit) reject(field, "more than " + std::to_string(limit) + " files", 413);
  }
  std::sort(files.begin(), files.end());
  return files;
}

void add_inputs(const Members& body, const std::string& project, const Config& config,
                JobDescription& d, json& accepted) {
  const json* input = body.find("InputData");
  if (!input) return;
  Members in(*input, "InputData");
  in.only({"Locations"});
  const json& locations = in.list("Locations");
  json echo = json::array();
  for (std::size_t i = 0; i < locations.size(); ++i) {
    Members l(locations[i], "InputData.Locations[" + std::to_string(i) + "]");
    l.only({"type", "ProjectId", "LocalPath", "ExcludedFiles"});
    if (!same_name(l.text("type", true), "PlatformInputLocation"))
      reject(l.path("type"), "only PlatformInputLocation is supported");
    const std::string source_project = l.text("ProjectId", true);
    if (source_project != project) {
      reject(l.path("ProjectId"), "the API key is for project " + project + ", not this one", 403);
    }
    const std::string local = confined(l.text("LocalPath", false), l.path("LocalPath"), true);
    const std::vector<std::string> excluded = l.texts("ExcludedFiles");
    const fs::path root = fs::path(config.process.platform_root) / project;
    for (const std::string& file :
         platform_files(root, {excluded.begin(), excluded.end()}, config.limits.max_staged_files,
                        l.path("ProjectId"))) {
      d.stage_in.push_back({(root / file).string(), joined(local, file)});
    }
    echo.push_back({{"type", "PlatformInputLocation"},
                    {"ProjectId", source_project},
                    {"LocalPath", local},
                    {"ExcludedFiles", excluded}});
  }
  if (d.stage_in.size() > config.limits.max_staged_files) {
    reject("InputData.Locations",
           "more than " + std::to_string(config.limits.max_staged_files) + " files", 413);
  }
  accepted["InputData"] = {{"Locations", echo}};
}

// `<platform root>/<project>/<relative>`, refused when an existing part of it resolves
// outside the project's directory (a symbolic link placed there).
std::string platform_destination(const std::string& project, const std::string& relative,
                                 const Config& config, const std::string& field) {
  const fs::path base = fs::path(config.process.platform_root) / project;
  const fs::path destination = relative.empty() ? base : base / relative;
  std::error_code ec;
  const fs::path real_base = fs::weakly_canonical(base, ec);
  const fs::path real = fs::weakly_canonical(destination, ec);
  if (ec || !is_under(real.string(), real_base.string())) {
    reject(field, "resolves outside the project's platform directory");
  }
  return destination.string();
}

void add_outputs(const Members& body, const std::string& project, const std::string& job_id,
                 std::size_t containers, const Config& config, JobDescription& d, json& accepted) {
  const json* output = body.find("OutputData");
  if (!output) return;
  Members out(*output, "OutputData");
  out.only({"Locations"});
  const json& locations = out.list("Locations");
  json echo = json::array();
  for (std::size_t i = 0; i < locations.size(); ++i) {
    Members l(locations[i], "OutputData.Locations[" + std::to_string(i) + "]");
    l.only({"type", "LocalPath", "RelativePlatformPath"});
    if (!same_name(l.text("type", true), "PlatformOutputLocation"))
      reject(l.path("type"), "only PlatformOutputLocation is supported");
    const std::string local_text = l.text("LocalPath", true);
    if (local_text.empty()) reject(l.path("LocalPath"), "name a directory under /work");
    const std::string local = confined(local_text, l.path("LocalPath"), false);
    const std::string relative =
        confined(l.text("RelativePlatformPath", false), l.path("RelativePlatformPath"), true);
    const std::string destination =
        platform_destination(project, relative, config, l.path("RelativePlatformPath"));
    // "DIR/": a directory the containers write into, made before the first one starts.
    d.stage_out.push_back({local + "/", destination});
    if (i == 0) {
      // Every container's logs go with the first output location.
      for (std::size_t c = 0; c < containers; ++c) {
        for (bool err : {false, true}) {
          const std::string name = process_log_name(c, err);
          d.stage_out.push_back(
              {name,
               joined(destination, "logs/" + job_id + "/" + fs::path(name).filename().string())});
        }
      }
    }
    echo.push_back({{"type", "PlatformOutputLocation"},
                    {"LocalPath", local},
                    {"RelativePlatformPath", relative}});
  }
  accepted["OutputData"] = {{"Locations", echo}};
}

}  // namespace

std::string process_log_name(std::size_t container, bool stderr_log) {
  return std::string(kLogDirectory) + "/container-" + std::to_string(container) +
         (stderr_log ? ".stderr.log" : ".stdout.log");
}

std::string without_trailing_commas(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == ',') {
      std::size_t next = text.find_first_not_of(" \t\r\n", i + 1);
      if (next != std::string::npos && (text[next] == '}' || text[next] == ']')) continue;
    }
    out += c;
  }
  return out;
}

ProcessSubmission parse_process_request(const std::string& body_text, const std::string& project,
                                        const std::string& job_id, const Config& config) {
  if (body_text.size() > config.limits.max_body_bytes) reject("(body)", "too large", 413);
  if (!json_depth_within(body_text, config.limits.max_json_depth)) {
    reject("(body)", "nests too deeply");
  }
  const json parsed = json::parse(without_trailing_commas(body_text), nullptr, false);
  if (parsed.is_discarded()) reject("(body)", "is not valid JSON");
  Members body(parsed, "");
  body.only({"Runtime", "InputData", "OutputData", "RetryLimit"});
  const json* runtime = body.find("Runtime");
  if (!runtime) reject("Runtime", "is required");
  Members r(*runtime, "Runtime");
  r.only({"type", "Containers"});
  if (!same_name(r.text("type", true), "ContainerRuntimeSpec"))
    reject(r.path("type"), "only ContainerRuntimeSpec is supported");
  const json& containers = r.list("Containers");
  if (containers.empty()) reject(r.path("Containers"), "at least one container is required");
  if (containers.size() > 100) reject(r.path("Containers"), "at most 100 containers");

  ProcessSubmission out;
  JobDescription& d = out.description;
  json echo = json::array();
  for (std::size_t i = 0; i < containers.size(); ++i) {
    json accepted;
    d.steps.push_back(container_step(containers[i], i, config, accepted));
    echo.push_back(std::move(accepted));
  }
  out.accepted["Runtime"] = {{"type", "ContainerRuntimeSpec"}, {"Containers", echo}};
  d.container.runtime = parse_container_runtime(config.process.container_runtime);
  add_inputs(body, project, config, d, out.accepted);
  add_outputs(body, project, job_id, containers.size(), config, d, out.accepted);
  d.retry_limit = retry_limit_of(body, config);
  out.accepted["RetryLimit"] = d.retry_limit;
  d.labels["process.project"] = project;
  try {
    d.validate();
  } catch (const InvalidJobDescription& e) {
    reject(e.field(), e.reason());
  }
  return out;
}

}  // namespace cuttle::rest
