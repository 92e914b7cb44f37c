// Path confinement and the per-job sandbox: staging in and out with every path checked
// twice, once as text (normalised, no escaping "..") and once as the file system resolves
// it (no symlink leading out of its root).
#include "cuttle/sandbox.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "cuttle/error.h"
#include "internal/path_text.h"

namespace cuttle {
namespace {

using detail::base_of;
using detail::join_path;
using detail::join_segments;
using detail::parent_of;
using detail::resolve_segments;

constexpr const char* kPartialSuffix = ".partial";

bool inside(const std::string& path, const std::string& root) {
  if (root == "/") return !path.empty() && path.front() == '/';
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

// Lexical normalisation of an absolute path ("/a/./b/../c" -> "/a/c"); ".." at the top
// stays at "/", as the kernel does.
std::string normalise_absolute(std::string_view path) {
  bool climbed_out = false;
  return join_segments(resolve_segments(path, climbed_out), true);
}

// A sandbox directory name chosen by the caller of the public Sandbox: one path component.
// (Keys the adaptors make are detail::is_job_key(); this only keeps a path a path.)
bool one_safe_component(const std::string& key) {
  if (key.empty() || key == "." || key == "..") return false;
  for (char c : key) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string entry_field(const char* list, std::size_t index, const char* part) {
  return std::string(list) + "[" + std::to_string(index) + "]" +
         (part ? std::string(".") + part : "");
}

// Where a client-side path lives: under client_root when one is configured (relative
// paths are confined to it, absolute ones must lie inside it), else as given.
std::string client_path(const std::string& path, const std::string& client_root,
                        const std::string& field) {
  if (path.find('\0') != std::string::npos) {
    throw InvalidJobDescription(field, "path contains a NUL byte");
  }
  if (path.empty()) throw InvalidJobDescription(field, "path is empty");
  if (client_root.empty()) return path;
  if (path.front() != '/') return join_path(client_root, confine_relative_path(path, field));
  std::string normal = normalise_absolute(path);
  if (!inside(normal, normalise_absolute(client_root))) {
    throw InvalidJobDescription(field, "path is outside the permitted directory " + client_root);
  }
  return normal;
}

// Copies a file or a directory tree; every entry met is resolved and must stay inside
// `allowed_root` (when not empty), so a symlink inside a staged tree cannot leak files.
void copy_tree(FileSystem& from, const std::string& from_path, FileSystem& to,
               const std::string& to_path, const std::string& allowed_root,
               const std::string& what) {
  std::string real = from.real_path(from_path);
  if (!allowed_root.empty() && !inside(real, allowed_root)) {
    throw StagingFailed(what + " resolves outside " + allowed_root + " (refused)");
  }
  std::optional<FileInfo> info = from.stat(real);
  if (!info) throw StagingFailed(what + ": no such file " + from_path);
  if (info->type == FileInfo::Type::kDirectory) {
    to.create_directories(to_path, (info->mode & 0777) | 0700);
    for (const std::string& name : from.list(real)) {
      copy_tree(from, join_path(real, name), to, join_path(to_path, name), allowed_root, what);
    }
    return;
  }
  if (info->type != FileInfo::Type::kFile) {
    throw StagingFailed(what + ": not a regular file or directory: " + from_path);
  }
  copy_file(from, real, to, to_path);
}

std::string with_entry(const std::string& entry, const Error& error) {
  return entry + ": " + error.what();
}

}  // namespace

std::string confine_relative_path(std::string_view relative, const std::string& field) {
  if (relative.find('\0') != std::string_view::npos) {
    throw InvalidJobDescription(field, "path contains a NUL byte");
  }
  if (relative.empty()) throw InvalidJobDescription(field, "path is empty");
  if (relative.front() == '/') {
    throw InvalidJobDescription(field, "absolute path not allowed: " + std::string(relative));
  }
  bool climbed_out = false;
  std::vector<std::string_view> segments = resolve_segments(relative, climbed_out);
  if (climbed_out) {
    throw InvalidJobDescription(field, "path escapes its directory: " + std::string(relative));
  }
  if (segments.empty()) {
    throw InvalidJobDescription(field, "path names the directory itself: " + std::string(relative));
  }
  return join_segments(segments, false);
}

Sandbox::Sandbox(std::shared_ptr<FileSystem> target, std::string root, std::string job_key)
    : target_(std::move(target)), root_(std::move(root)) {
  if (!target_) throw InvalidArgument("sandbox needs a file system");
  if (root_.empty() || root_.front() != '/' || root_.find('\0') != std::string::npos) {
    throw InvalidArgument("sandbox root must be an absolute path: " + root_);
  }
  if (!one_safe_component(job_key)) {
    throw InvalidArgument("sandbox job key must be one path component of [A-Za-z0-9._-]: " +
                          job_key);
  }
  root_ = normalise_absolute(root_);
  path_ = join_path(root_, job_key);
}

std::string Sandbox::resolve(std::string_view relative, const std::string& field) const {
  return join_path(path_, confine_relative_path(relative, field));
}

// A missing root is created on the way (private, as the sandbox): an existing one costs
// nothing more than the sandbox's own mkdir.
void Sandbox::create() { target_->create_directories(path_, 0700); }

std::string Sandbox::partial_suffix(std::string_view owner) {
  std::uint64_t digest = 0xcbf29ce484222325ULL;  // FNV-1a 64: stable everywhere
  for (unsigned char c : owner) {
    digest ^= c;
    digest *= 0x100000001b3ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(digest));
  return std::string(".") + hex + kPartialSuffix;
}

std::string Sandbox::partial_path(std::string_view owner) const {
  return join_path(root_, "." + base_of(path_) + partial_suffix(owner));
}

std::size_t Sandbox::remove_partials(FileSystem& target, const std::string& root,
                                     std::string_view owner) {
  if (!target.stat(root)) return 0;
  const std::string suffix = partial_suffix(owner);
  std::size_t removed = 0;
  for (const std::string& name : target.list(root)) {
    if (name.size() > suffix.size() + 1 && name.front() == '.' &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      target.remove_all(join_path(root, name));
      ++removed;
    }
  }
  return removed;
}

void Sandbox::create(const std::vector<std::pair<std::string, std::string>>& first_files,
                     std::string_view owner) {
  const std::string partial = partial_path(owner);
  try {
    target_->create_directories(partial, 0700);  // and a missing root, as create() does
    for (const auto& [relative, content] : first_files) {
      const std::string path = join_path(partial, confine_relative_path(relative, "first file"));
      target_->create_directories(parent_of(path), 0700);
      // In place: nobody sees the partial until its rename, which is the atomic step.
      target_->write_new_file(path, content, 0644);
    }
    target_->rename(partial, path_);
  } catch (...) {
    try {
      target_->remove_all(partial);
    } catch (const std::exception&) {
    }
    throw;
  }
}

void Sandbox::stage_in(FileSystem& client, const JobDescription& description,
                       const std::string& client_root) {
  if (description.stage_in.empty()) return;  // (resolving the roots is a walk per component)
  std::string real_client_root =
      client_root.empty() ? std::string() : client.real_path(client_root);
  std::string real_sandbox = target_->real_path(path_);
  for (std::size_t i = 0; i < description.stage_in.size(); ++i) {
    const StagingEntry& entry = description.stage_in[i];
    std::string entry_name = entry_field("stage_in", i, nullptr);
    std::string source_field = entry_field("stage_in", i, "source");
    std::string source = client_path(entry.source, client_root, source_field);
    std::string relative_destination = entry.destination;
    if (relative_destination.empty()) {
      relative_destination = entry.source.empty() || entry.source.front() == '/'
                                 ? base_of(normalise_absolute(entry.source))
                                 : entry.source;
    }
    std::string destination =
        resolve(relative_destination, entry_field("stage_in", i, "destination"));
    try {
      std::string parent = parent_of(destination);
      target_->create_directories(parent);
      // Earlier entries only create plain files and directories, but the parent must
      // still resolve inside the sandbox before anything is written there.
      if (!inside(target_->real_path(parent), real_sandbox)) {
        throw StagingFailed("destination resolves outside the sandbox (refused)");
      }
      copy_tree(client, source, *target_, destination, real_client_root, "source " + entry.source);
    } catch (const StagingFailed& e) {
      throw StagingFailed(with_entry(entry_name, e));
    }
  }
}

std::vector<std::string> Sandbox::stage_out(FileSystem& client, const JobDescription& description,
                                            const std::string& client_root) {
  std::vector<std::string> problems;
  std::string real_sandbox;
  try {
    real_sandbox = target_->real_path(path_);
  } catch (const Error& e) {
    problems.push_back(std::string("sandbox: ") + e.what());
    return problems;
  }
  std::string real_client_root;
  if (!client_root.empty()) {
    try {
      real_client_root = client.real_path(client_root);
    } catch (const Error& e) {
      problems.push_back(std::string("client root: ") + e.what());
      return problems;
    }
  }
  for (std::size_t i = 0; i < description.stage_out.size(); ++i) {
    const StagingEntry& entry = description.stage_out[i];
    std::string entry_name = entry_field("stage_out", i, nullptr);
    try {
      std::string relative =
          confine_relative_path(entry.source, entry_field("stage_out", i, "source"));
      std::string destination_text =
          entry.destination.empty() ? base_of(relative) : entry.destination;
      std::string destination =
          client_path(destination_text, client_root, entry_field("stage_out", i, "destination"));
      std::string source = join_path(path_, relative);
      if (!target_->stat(source)) {
        problems.push_back(entry_name + ": no such file " + entry.source);
        continue;
      }
      std::string parent = parent_of(destination);
      client.create_directories(parent);
      if (!real_client_root.empty() && !inside(client.real_path(parent), real_client_root)) {
        throw StagingFailed("destination " + destination_text +
                            " resolves outside the permitted directory (refused)");
      }
      copy_tree(*target_, source, client, destination, real_sandbox, entry.source);
    } catch (const InvalidJobDescription& e) {
      problems.push_back(e.what());
    } catch (const Error& e) {
      problems.push_back(with_entry(entry_name, e));
    }
  }
  return problems;
}

void Sandbox::cleanup() { target_->remove_all(path_); }

void Sandbox::cleanup_except(const std::vector<std::string>& keep) {
  if (!target_->stat(path_)) return;
  bool kept = false;
  for (const std::string& name : target_->list(path_)) {
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) {
      kept = true;
    } else {
      target_->remove_all(join_path(path_, name));
    }
  }
  if (!kept) target_->remove_all(path_);
}

CleanupPolicy parse_cleanup_policy(const std::string& text) {
  if (text == "never") return CleanupPolicy::kNever;
  if (text == "on-success") return CleanupPolicy::kOnSuccess;
  if (text == "always") return CleanupPolicy::kAlways;
  throw InvalidArgument("property cleanup: expected never, on-success or always, got '" + text +
                        "'");
}

}  // namespace cuttle
