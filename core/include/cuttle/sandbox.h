// A directory per job under a configured root on the target: stage in, run with it as
// the working directory, stage out (stdout/stderr even when the job failed), clean up by
// policy. Every relative path is normalised and must stay inside its root: "..",
// absolute paths and symlinks that escape are refused: InvalidJobDescription naming the
// field when the description is at fault, StagingFailed when the file system is.
// Thread-safety: one Sandbox per job; not shared between threads without a lock.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cuttle/file_system.h"
#include "cuttle/job_description.h"

namespace cuttle {

// Normalises `relative` ("a/./b//c" -> "a/b/c") and checks it stays inside its root.
// Throws InvalidJobDescription(field, reason) for empty, absolute, ".."-escaping paths
// and NUL bytes.
std::string confine_relative_path(std::string_view relative, const std::string& field);

enum class CleanupPolicy {
  kNever,      // keep the directory
  kOnSuccess,  // remove when the job Completed
  kAlways,     // remove once output has been staged out
};

// "never", "on-success" or "always" (the `cleanup` property of every adaptor with
// sandboxes). Throws InvalidArgument naming the property and the valid words.
CleanupPolicy parse_cleanup_policy(const std::string& text);

class Sandbox {
 public:
  // `root` is an absolute directory on `target`; the sandbox is root/<job_key>.
  // REQUIRES: job_key is a single path component of [A-Za-z0-9._-].
  Sandbox(std::shared_ptr<FileSystem> target, std::string root, std::string job_key);

  const std::string& path() const { return path_; }
  // Absolute path on the target of a confined relative name.
  std::string resolve(std::string_view relative, const std::string& field) const;

  // Both forms create a missing root (and its missing parents) private, 0700, as the
  // sandbox itself.
  void create();
  // Creates the sandbox with `first_files` (path relative to the sandbox, content) already
  // in it: they are written under a hidden sibling (partial_path(owner)) and the whole
  // directory is renamed into place, so whoever lists the root never sees the sandbox
  // without them. The job's name goes there and is `owner`: a crash mid-submit leaves
  // either a sandbox that says whose it is, or a partial that says it by its own name
  // (see remove_partials). Needs FileSystem::rename.
  void create(const std::vector<std::pair<std::string, std::string>>& first_files,
              std::string_view owner);
  // root/.<job_key><partial_suffix(owner)>: where create(first_files, owner) prepares it.
  std::string partial_path(std::string_view owner) const;
  // ".<16 hex digits of a digest of owner>.partial", the same in every process and host.
  static std::string partial_suffix(std::string_view owner);
  // Removes the partial sandboxes under `root` of `owner` (a create a crash interrupted; no
  // job ever ran in one, whatever of its first files it holds): a caller that looks for
  // its lost submit clears what that submit left. Returns how many.
  static std::size_t remove_partials(FileSystem& target, const std::string& root,
                                     std::string_view owner);
  // Copies every stage_in entry from `client` into the sandbox. Sources are paths on the
  // client; a source that is a symlink pointing outside `client_root` (when non-empty)
  // is refused. Throws StagingFailed naming the entry.
  void stage_in(FileSystem& client, const JobDescription& description,
                const std::string& client_root = {});
  // Copies every stage_out entry back; a missing file is reported, not fatal to others.
  // Returns the list of problems ("stage_out[1]: no such file out.txt"), empty when all
  // went well. Refuses sandbox entries that are symlinks escaping the sandbox.
  std::vector<std::string> stage_out(FileSystem& client, const JobDescription& description,
                                     const std::string& client_root = {});
  // Removes the sandbox and everything in it.
  void cleanup();
  // Removes everything in the sandbox but the top-level entries named in `keep`; removes
  // the sandbox itself when none of them is there.
  void cleanup_except(const std::vector<std::string>& keep);

 private:
  std::shared_ptr<FileSystem> target_;
  std::string root_;
  std::string path_;
};

}  // namespace cuttle
