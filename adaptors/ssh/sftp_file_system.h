// SftpFileSystem: the FileSystem of a remote host over the SFTP subsystem of its pooled
// session, for staging. Transfers stream in chunks (reads pipelined); no file is held in
// memory whole. Writes go to a temporary name and are renamed on commit; the mode given
// (exec bit included) is set explicitly, whatever the remote umask.
// Errors: StagingFailed naming the path and the reason (no such file, permission denied,
// disk full); ConnectionFailed when the connection is lost.
// Thread-safety: methods may be called concurrently (they serialise on the session).
#pragma once

#include <memory>

#include "adaptors/ssh/session.h"
#include "cuttle/file_system.h"

namespace cuttle::detail {

class SftpFileSystem : public FileSystem {
 public:
  explicit SftpFileSystem(std::shared_ptr<SshHost> host) : host_(std::move(host)) {}
  std::string describe() const override { return "sftp:" + host_->describe(); }

  std::optional<FileInfo> stat(const std::string& path) override;
  void create_directories(const std::string& path, std::uint32_t mode = 0755) override;
  std::vector<std::string> list(const std::string& directory) override;
  void remove_all(const std::string& path) override;
  void rename(const std::string& from, const std::string& to) override;
  std::string read_file(const std::string& path) override;
  void write_file(const std::string& path, const std::string& content,
                  std::uint32_t mode = 0644) override;
  std::string real_path(const std::string& path) override;
  std::unique_ptr<FileReader> open_read(const std::string& path) override;
  std::unique_ptr<FileWriter> open_write(const std::string& path, std::uint32_t mode) override;

  // The remote user's home directory (where SFTP starts).
  std::string home();

 private:
  std::shared_ptr<SshHost> host_;
};

}  // namespace cuttle::detail
