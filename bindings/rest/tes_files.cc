#include "bindings/rest/tes_files.h"

#include <Poco/URI.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "cuttle/error.h"
#include "cuttle/sandbox.h"
#include "internal/path_text.h"

namespace cuttle::rest::tes {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxFiles = 4096;

// Element i of a list of objects, with its required members present.
Field entry_of(const Field& list, std::size_t i, std::initializer_list<const char*> required) {
  Field entry = list.element(i);
  if (!entry.json().is_object()) entry.fail("must be an object");
  for (const char* key : required) {
    if (!entry.has(key)) entry.member(key).fail("is required");
  }
  return entry;
}

std::string file_type(const Field& entry) {
  if (!entry.has("type")) return "FILE";
  const std::string type = entry.member("type").text();
  if (type != "FILE" && type != "DIRECTORY") {
    entry.member("type").fail("must be FILE or DIRECTORY");
  }
  return type;
}

// The given TES fields of an input or output, as accepted.
json accepted(const Field& entry, const std::string& type,
              std::initializer_list<const char*> keys) {
  json out = json::object();
  for (const char* key : keys) {
    if (entry.has(key)) out[key] = entry.json()[key];
  }
  out["type"] = type;
  return out;
}

// Every symlink inside the directory tree `dir` must resolve under a root.
void check_tree(const std::string& dir, const std::vector<std::string>& roots,
                const std::string& field) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) && !under_roots(fs::weakly_canonical(it->path(), ec).string(), roots)) {
      throw RequestError(400, field,
                         "holds a symlink that leads outside tes.roots: " + it->path().string());
    }
  }
}

void write_text(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) throw StagingFailed("cannot write " + path);
}

// The local path a file:// input names, checked against the roots and its type.
std::string file_input(const Field& url, const std::string& type, const Config& config) {
  const auto path = file_url_path(url.text(), url.path());
  if (!under_roots(*path, config.tes.roots)) {
    url.fail("is not under a configured root (tes.roots)");
  }
  std::error_code ec;
  const fs::file_status status = fs::status(*path, ec);
  if (ec || !fs::exists(status)) url.fail("no such file or directory: " + *path);
  if (type == "FILE" && !fs::is_regular_file(status)) url.fail("is not a regular file (type FILE)");
  if (type == "DIRECTORY" && !fs::is_directory(status)) {
    url.fail("is not a directory (type DIRECTORY)");
  }
  const std::string real = fs::canonical(*path, ec).string();
  if (ec || !under_roots(real, config.tes.roots)) {
    url.fail("resolves outside the configured roots (tes.roots)");
  }
  if (type == "DIRECTORY") check_tree(real, config.tes.roots, url.path());
  return real;
}

// The local path a file:// output URL names, checked against the roots.
std::string file_output(const Field& url, const Config& config) {
  const std::string text = url.text();
  const auto path = file_url_path(text, url.path());
  if (!path) url.fail("must be a file:// URL under a configured root (tes.roots)");
  if (!under_roots(*path, config.tes.roots)) {
    url.fail("is not under a configured root (tes.roots)");
  }
  return *path;
}

// The directory part of a wildcard path before its first pattern character: the copy
// that is staged out and matched in afterwards ("/work/out/*.txt" -> "/work/out").
std::string wildcard_directory(const std::string& path) {
  const std::size_t first = path.find_first_of("*?[");
  return path.substr(0, path.rfind('/', first));
}

}  // namespace

bool has_wildcards(const std::string& path) {
  return path.find_first_of("*?[") != std::string::npos;
}

std::string sandbox_relative(const std::string& container_path, const std::string& field,
                             bool allow_root) {
  const std::string work = kWork;
  if (container_path.empty() || container_path.front() != '/') {
    throw RequestError(400, field, "must be an absolute path under /work");
  }
  bool climbed = false;
  const auto segments = detail::resolve_segments(container_path, climbed);
  const std::string normal = detail::join_segments(segments, true);
  if (climbed || (normal != work && normal.rfind(work + "/", 0) != 0)) {
    throw RequestError(400, field,
                       "must lie under /work, the task's sandbox that every executor shares "
                       "(got " +
                           container_path + ")");
  }
  if (normal == work) {
    if (!allow_root) throw RequestError(400, field, "names /work itself; name a path under it");
    return {};
  }
  try {
    return confine_relative_path(normal.substr(work.size() + 1), field);
  } catch (const InvalidJobDescription& e) {
    throw RequestError(400, field, e.reason());
  }
}

std::optional<std::string> file_url_path(const std::string& url, const std::string& field) {
  if (url.rfind("file://", 0) != 0) return std::nullopt;
  std::string rest = url.substr(7);
  if (rest.rfind("localhost/", 0) == 0) rest = rest.substr(9);
  if (rest.empty() || rest.front() != '/') {
    throw RequestError(400, field, "must be file:///absolute/path (no host but localhost)");
  }
  if (rest.find_first_of("?#") != std::string::npos) {
    throw RequestError(400, field, "must not carry a query or fragment");
  }
  std::string decoded;
  try {
    Poco::URI::decode(rest, decoded);
  } catch (const std::exception&) {
    throw RequestError(400, field, "is not valid percent-encoding");
  }
  if (decoded.find('\0') != std::string::npos) {
    throw RequestError(400, field, "must not contain NUL bytes");
  }
  bool climbed = false;
  const auto segments = detail::resolve_segments(decoded, climbed);
  if (climbed) throw RequestError(400, field, "climbs above /");
  return detail::join_segments(segments, true);
}

bool under_roots(const std::string& path, const std::vector<std::string>& roots) {
  std::error_code ec;
  // The deepest existing ancestor, resolved; the rest appended as written.
  fs::path existing = path;
  fs::path rest;
  while (!existing.empty() && existing != existing.root_path() && !fs::exists(existing, ec)) {
    rest = existing.filename() / rest;
    existing = existing.parent_path();
  }
  const std::string real = (fs::canonical(existing, ec) / rest).lexically_normal().string();
  if (ec) return false;
  for (const auto& root : roots) {
    const std::string real_root = fs::weakly_canonical(root, ec).string();
    if (ec) continue;
    if (is_under(real, real_root)) return true;
  }
  return false;
}

// The local file an input is copied from: its content written out, a file:// URL
// checked, or an http(s):// URL fetched.
std::string input_source(const Field& entry, std::size_t i, const std::string& type,
                         const Config& config, const StagingLayout& layout) {
  if (const std::string content = entry.text_of("content"); !content.empty()) {
    if (type == "DIRECTORY") entry.member("content").fail("is only for type FILE");
    write_text(layout.input(i), content);
    return layout.input(i);
  }
  if (!entry.has("url")) entry.member("url").fail("is required unless content is set");
  const Field url = entry.member("url");
  const std::string text = url.text();
  if (file_url_path(text, url.path())) return file_input(url, type, config);
  if (!parse_http_url(text)) {
    url.fail(
        "must be a file:// URL under a configured root or an http(s):// URL (s3://, gs:// and "
        "plain paths are not supported)");
  }
  if (!config.tes.http_inputs) url.fail("http(s) inputs are turned off (tes.http_inputs)");
  if (type == "DIRECTORY") url.fail("an http(s) input is a single file (type FILE)");
  fetch_http(text, layout.input(i), config.tes, url.path());
  return layout.input(i);
}

json add_inputs(const Field& inputs, const Config& config, const StagingLayout& layout,
                JobDescription& d) {
  json out = json::array();
  for (std::size_t i = 0, n = inputs.array(kMaxFiles); i < n; ++i) {
    const Field entry = entry_of(inputs, i, {"path"});
    const Field path = entry.member("path");
    const std::string type = file_type(entry);
    if (entry.has("streamable")) entry.member("streamable").boolean();
    const std::string relative = sandbox_relative(path.text(), path.path());
    d.stage_in.push_back({input_source(entry, i, type, config, layout), relative});
    out.push_back(
        accepted(entry, type, {"name", "description", "url", "path", "content", "streamable"}));
  }
  return out;
}

json add_outputs(const Field& outputs, const Config& config, const StagingLayout& layout,
                 JobDescription& d) {
  json out = json::array();
  const std::size_t n = outputs.array(kMaxFiles);
  for (std::size_t i = 0; i < n; ++i) {
    const Field entry = entry_of(outputs, i, {"path", "url"});
    const std::string path = entry.member("path").text();
    const std::string type = file_type(entry);
    const std::string destination = file_output(entry.member("url"), config);
    json one = accepted(entry, type, {"name", "description", "url", "path", "path_prefix"});
    one["cuttle.destination"] = destination;
    if (has_wildcards(path)) {
      if (!entry.has("path_prefix")) {
        entry.member("path_prefix").fail("is required when path has wildcards");
      }
      const std::string prefix = entry.member("path_prefix").text();
      if (path.rfind(prefix, 0) != 0 || has_wildcards(prefix)) {
        entry.member("path_prefix").fail("must be a leading part of path, without wildcards");
      }
      const std::string directory = wildcard_directory(path);
      const std::string relative = sandbox_relative(
          directory, entry.member("path").path() + " (its directory before the first wildcard)");
      d.stage_out.push_back({relative, layout.wildcard_copy(i)});
      one["cuttle.copy"] = layout.wildcard_copy(i);
      one["cuttle.directory"] = directory;
    } else {
      d.stage_out.push_back({sandbox_relative(path, entry.member("path").path()), destination});
    }
    out.push_back(std::move(one));
  }
  return out;
}

json add_volumes(const Field& volumes, const Config&, const StagingLayout& layout,
                 JobDescription& d) {
  json out = json::array();
  const std::size_t n = volumes.array(kMaxFiles);
  if (n > 0) fs::create_directories(layout.empty_directory());
  for (std::size_t i = 0; i < n; ++i) {
    const Field volume = volumes.element(i);
    const std::string path = volume.text();
    d.stage_in.push_back({layout.empty_directory(), sandbox_relative(path, volume.path())});
    out.push_back(path);
  }
  return out;
}

}  // namespace cuttle::rest::tes
