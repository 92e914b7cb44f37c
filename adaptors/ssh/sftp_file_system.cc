// SFTP operations, error translation, and the streaming reader and writer.
#include "adaptors/ssh/sftp_file_system.h"

#include <fcntl.h>

#include <random>

#include "adaptors/ssh/ssh_runner.h"
#include "cuttle/error.h"
#include "internal/path_text.h"

namespace cuttle::detail {
namespace {

// One SFTP request per chunk, each a round trip: big chunks (OpenSSH's sftp-server takes
// messages up to 256 KiB) keep streaming fast without holding more than a chunk.
constexpr std::size_t kChunk = 192 * 1024;

std::string random_suffix() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char buffer[20];
  std::snprintf(buffer, sizeof buffer, "%012llx",
                static_cast<unsigned long long>(random() & 0xffffffffffffULL));
  return buffer;
}

std::string reason_of(int code) {
  switch (code) {
    case SSH_FX_EOF:
      return "unexpected end of file";
    case SSH_FX_NO_SUCH_FILE:
      return "no such file";
    case SSH_FX_PERMISSION_DENIED:
      return "permission denied";
    case SSH_FX_FAILURE:
      return "failure";
    case SSH_FX_BAD_MESSAGE:
      return "bad message";
    case SSH_FX_NO_CONNECTION:
      return "no connection";
    case SSH_FX_CONNECTION_LOST:
      return "connection lost";
    case SSH_FX_OP_UNSUPPORTED:
      return "operation unsupported";
    case SSH_FX_INVALID_HANDLE:
      return "invalid handle";
    case SSH_FX_NO_SUCH_PATH:
      return "no such path";
    case SSH_FX_FILE_ALREADY_EXISTS:
      return "file exists";
    case SSH_FX_WRITE_PROTECT:
      return "write protected";
    case SSH_FX_NO_MEDIA:
      return "no media";
    default:
      return "SFTP error " + std::to_string(code);
  }
}

// A call on the SFTP subsystem of the current connection, holding its lock.
struct Session {
  std::shared_ptr<Connection> connection;
  std::unique_lock<std::mutex> lock;
  sftp_session sftp;
};

Session open_session(SshHost& host) {
  Session s;
  s.connection = host.connection();
  s.lock = s.connection->lock();
  try {
    s.sftp = s.connection->sftp();
  } catch (const ConnectionFailed&) {
    if (!s.connection->alive()) {
      s.lock.unlock();
      throw ConnectionFailed(host.lost(s.connection, "SFTP could not start"));
    }
    throw;
  }
  s.connection->touch();
  return s;
}

// Throws the error of the last failed SFTP call on `path`. OpenSSH reports a full disk
// as a plain failure, so a failed write asks the file system how much room is left.
[[noreturn]] void fail(SshHost& host, Session& s, const std::string& what, const std::string& path,
                       bool writing = false) {
  int code = sftp_get_error(s.sftp);
  if (!s.connection->check_alive()) {
    s.lock.unlock();
    throw ConnectionFailed(host.lost(s.connection, what + " " + path + " failed"));
  }
  std::string reason = reason_of(code);
  if (writing && code == SSH_FX_FAILURE) {
    if (sftp_statvfs_t vfs = sftp_statvfs(s.sftp, parent_of(path).c_str())) {
      if (vfs->f_bavail * vfs->f_frsize < kChunk * 2)
        reason = "disk full (no space left on device)";
      sftp_statvfs_free(vfs);
    }
  }
  throw StagingFailed(what + " " + path + " on " + host.describe() + ": " + reason);
}

class SftpReader : public FileReader {
 public:
  SftpReader(std::shared_ptr<SshHost> host, std::shared_ptr<Connection> connection, sftp_file file,
             std::string path)
      : host_(std::move(host)),
        connection_(std::move(connection)),
        file_(file),
        path_(std::move(path)) {}
  ~SftpReader() override {
    auto lock = connection_->lock();
    sftp_close(file_);
  }
  std::size_t read(char* buffer, std::size_t size) override {
    Session s{connection_, connection_->lock(), nullptr};
    if (!connection_->alive()) {
      s.lock.unlock();
      throw ConnectionFailed(host_->lost(connection_, "reading " + path_));
    }
    s.sftp = connection_->sftp();
    ssize_t n = sftp_read(file_, buffer, std::min(size, kChunk));
    if (n < 0) fail(*host_, s, "reading", path_);
    connection_->touch();
    return static_cast<std::size_t>(n);
  }

 private:
  std::shared_ptr<SshHost> host_;
  std::shared_ptr<Connection> connection_;
  sftp_file file_;
  std::string path_;
};

class SftpWriter : public FileWriter {
 public:
  SftpWriter(std::shared_ptr<SshHost> host, std::shared_ptr<Connection> connection, sftp_file file,
             std::string path, std::string temporary, std::uint32_t mode)
      : host_(std::move(host)),
        connection_(std::move(connection)),
        file_(file),
        path_(std::move(path)),
        temporary_(std::move(temporary)),
        mode_(mode) {}
  ~SftpWriter() override {
    auto lock = connection_->lock();
    if (file_) sftp_close(file_);
    if (!committed_ && connection_->alive()) {
      if (sftp_session sftp = connection_->sftp()) sftp_unlink(sftp, temporary_.c_str());
    }
  }
  void write(const char* data, std::size_t size) override {
    while (size > 0) {
      Session s = session();
      ssize_t n = sftp_write(file_, data, std::min(size, kChunk));
      if (n <= 0) fail(*host_, s, "writing", path_, true);
      data += n;
      size -= static_cast<std::size_t>(n);
    }
  }
  void commit() override {
    Session s = session();
    int rc = sftp_close(file_);
    file_ = nullptr;
    if (rc != SSH_OK) fail(*host_, s, "writing", path_, true);
    if (sftp_chmod(s.sftp, temporary_.c_str(), mode_) != SSH_OK) fail(*host_, s, "chmod", path_);
    if (sftp_rename(s.sftp, temporary_.c_str(), path_.c_str()) == SSH_OK) {
      committed_ = true;
      return;
    }
    // SFTP v3 rename refuses an existing target and libssh 0.10 does not send
    // posix-rename@openssh.com; rename(2) through mv replaces it atomically.
    sftp_attributes existing = sftp_lstat(s.sftp, path_.c_str());
    if (!existing) fail(*host_, s, "renaming into", path_);
    sftp_attributes_free(existing);
    s.lock.unlock();
    SshRunner runner(host_);
    CommandResult moved = runner.run({"mv", "-f", "--", temporary_, path_});
    if (moved.exit_code != 0) {
      throw StagingFailed("renaming into " + path_ + " on " + host_->describe() + ": " +
                          moved.stderr_text);
    }
    committed_ = true;
  }

 private:
  Session session() {
    Session s{connection_, connection_->lock(), nullptr};
    if (!connection_->alive()) {
      s.lock.unlock();
      throw ConnectionFailed(host_->lost(connection_, "writing " + path_));
    }
    s.sftp = connection_->sftp();
    connection_->touch();
    return s;
  }

  std::shared_ptr<SshHost> host_;
  std::shared_ptr<Connection> connection_;
  sftp_file file_;
  std::string path_;
  std::string temporary_;
  std::uint32_t mode_;
  bool committed_ = false;
};

}  // namespace

std::optional<FileInfo> SftpFileSystem::stat(const std::string& path) {
  Session s = open_session(*host_);
  sftp_attributes attributes = sftp_lstat(s.sftp, path.c_str());
  if (!attributes) {
    int code = sftp_get_error(s.sftp);
    if (code == SSH_FX_NO_SUCH_FILE || code == SSH_FX_NO_SUCH_PATH) return std::nullopt;
    fail(*host_, s, "stat", path);
  }
  FileInfo info;
  switch (attributes->type) {
    case SSH_FILEXFER_TYPE_REGULAR:
      info.type = FileInfo::Type::kFile;
      break;
    case SSH_FILEXFER_TYPE_DIRECTORY:
      info.type = FileInfo::Type::kDirectory;
      break;
    case SSH_FILEXFER_TYPE_SYMLINK:
      info.type = FileInfo::Type::kSymlink;
      break;
    default:
      info.type = FileInfo::Type::kOther;
      break;
  }
  info.size = attributes->size;
  info.mode = attributes->permissions & 07777;
  sftp_attributes_free(attributes);
  return info;
}

void SftpFileSystem::create_directories(const std::string& path, std::uint32_t mode) {
  if (auto info = stat(path)) {
    if (info->type == FileInfo::Type::kDirectory) return;
    throw StagingFailed("create directory " + path + " on " + host_->describe() +
                        ": exists and is not a directory");
  }
  std::string parent = parent_of(path);
  if (parent != path && parent != "." && parent != "/") create_directories(parent, mode);
  Session s = open_session(*host_);
  if (sftp_mkdir(s.sftp, path.c_str(), mode) != SSH_OK) {
    sftp_attributes existing = sftp_stat(s.sftp, path.c_str());
    bool is_directory = existing && existing->type == SSH_FILEXFER_TYPE_DIRECTORY;
    if (existing) sftp_attributes_free(existing);
    if (is_directory) return;  // created concurrently
    fail(*host_, s, "create directory", path);
  }
  // mkdir applies the remote umask; the caller asked for exactly `mode`.
  sftp_chmod(s.sftp, path.c_str(), mode);
}

std::vector<std::string> SftpFileSystem::list(const std::string& directory) {
  Session s = open_session(*host_);
  sftp_dir dir = sftp_opendir(s.sftp, directory.c_str());
  if (!dir) fail(*host_, s, "list", directory);
  std::vector<std::string> names;
  while (sftp_attributes entry = sftp_readdir(s.sftp, dir)) {
    std::string name = entry->name ? entry->name : "";
    sftp_attributes_free(entry);
    if (name != "." && name != ".." && !name.empty()) names.push_back(name);
  }
  bool complete = sftp_dir_eof(dir);
  sftp_closedir(dir);
  if (!complete) fail(*host_, s, "list", directory);
  return names;
}

void SftpFileSystem::remove_all(const std::string& path) {
  std::optional<FileInfo> info = stat(path);
  if (!info) return;
  if (info->type == FileInfo::Type::kDirectory) {
    for (const std::string& name : list(path)) remove_all(join_path(path, name));
    Session s = open_session(*host_);
    if (sftp_rmdir(s.sftp, path.c_str()) != SSH_OK) fail(*host_, s, "remove directory", path);
    return;
  }
  Session s = open_session(*host_);
  if (sftp_unlink(s.sftp, path.c_str()) != SSH_OK) {
    if (sftp_get_error(s.sftp) == SSH_FX_NO_SUCH_FILE) return;
    fail(*host_, s, "remove", path);
  }
}

// SFTP v3 rename refuses an existing target, which is what this rename promises.
void SftpFileSystem::rename(const std::string& from, const std::string& to) {
  Session s = open_session(*host_);
  if (sftp_rename(s.sftp, from.c_str(), to.c_str()) != SSH_OK) {
    fail(*host_, s, "rename " + from + " to", to);
  }
}

std::string SftpFileSystem::read_file(const std::string& path) {
  auto reader = open_read(path);
  std::string content;
  std::vector<char> buffer(kChunk);
  while (std::size_t n = reader->read(buffer.data(), buffer.size()))
    content.append(buffer.data(), n);
  return content;
}

void SftpFileSystem::write_file(const std::string& path, const std::string& content,
                                std::uint32_t mode) {
  auto writer = open_write(path, mode);
  writer->write(content.data(), content.size());
  writer->commit();
}

std::string SftpFileSystem::real_path(const std::string& path) {
  std::string resolved;
  {
    Session s = open_session(*host_);
    char* canonical = sftp_canonicalize_path(s.sftp, path.c_str());
    if (!canonical) fail(*host_, s, "resolve", path);
    resolved = canonical;
    ssh_string_free_char(canonical);
  }
  // Some servers canonicalise names that do not exist; the contract says they fail.
  if (!stat(resolved)) {
    throw StagingFailed("resolve " + path + " on " + host_->describe() + ": no such file");
  }
  return resolved;
}

std::string SftpFileSystem::home() {
  Session s = open_session(*host_);
  char* canonical = sftp_canonicalize_path(s.sftp, ".");
  if (!canonical) fail(*host_, s, "resolve", "~");
  std::string resolved = canonical;
  ssh_string_free_char(canonical);
  return resolved;
}

std::unique_ptr<FileReader> SftpFileSystem::open_read(const std::string& path) {
  Session s = open_session(*host_);
  sftp_file file = sftp_open(s.sftp, path.c_str(), O_RDONLY, 0);
  if (!file) fail(*host_, s, "open", path);
  return std::make_unique<SftpReader>(host_, s.connection, file, path);
}

std::unique_ptr<FileWriter> SftpFileSystem::open_write(const std::string& path,
                                                       std::uint32_t mode) {
  std::string temporary =
      join_path(parent_of(path), "." + base_of(path) + ".cuttle-" + random_suffix());
  Session s = open_session(*host_);
  sftp_file file = sftp_open(s.sftp, temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!file) fail(*host_, s, "create", path, true);
  return std::make_unique<SftpWriter>(host_, s.connection, file, path, temporary, mode);
}

}  // namespace cuttle::detail
