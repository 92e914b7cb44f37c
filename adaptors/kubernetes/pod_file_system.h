// The file system of a running pod's container, through pods/exec only (no shared disk,
// no sidecar): each operation is one small POSIX sh command in the container, and reads
// and writes stream `cat` over the exec WebSocket (one frame in memory at a time). Lets
// core's Sandbox stage files in and out of the pod's /work. The image needs /bin/sh with
// cat, mkdir, rm, mv, chmod, ls and stat (busybox has them).
// Thread-safety: as PodCommand: one operation at a time per object.
#pragma once

#include "adaptors/kubernetes/pod_exec.h"
#include "cuttle/file_system.h"

namespace cuttle::detail {

class PodFileSystem : public FileSystem {
 public:
  explicit PodFileSystem(PodTarget target) : target_(std::move(target)) {}

  std::string describe() const override { return "pod " + target_.pod; }
  std::optional<FileInfo> stat(const std::string& path) override;
  void create_directories(const std::string& path, std::uint32_t mode = 0755) override;
  std::vector<std::string> list(const std::string& directory) override;
  void remove_all(const std::string& path) override;
  std::string read_file(const std::string& path) override;
  void write_file(const std::string& path, const std::string& content,
                  std::uint32_t mode = 0644) override;
  std::string real_path(const std::string& path) override;
  std::unique_ptr<FileReader> open_read(const std::string& path) override;
  std::unique_ptr<FileWriter> open_write(const std::string& path, std::uint32_t mode) override;

 private:
  // Runs the helper's `op` with `args`; throws StagingFailed naming op, path and stderr
  // unless it exits 0 (or an exit code in `accepted`).
  std::pair<int, std::string> helper(const std::string& op, const std::vector<std::string>& args,
                                     const std::string& input = {},
                                     std::initializer_list<int> accepted = {0});
  PodTarget target_;
};

}  // namespace cuttle::detail
