// The file operations staging needs, on this machine (LocalFileSystem) or another one
// (SftpFileSystem in adaptors/ssh). Transfers stream; no whole file is held in memory.
// Errors: StagingFailed naming the path and the reason (no such file, permission
// denied, disk full). Thread-safety: methods may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cuttle {

struct FileInfo {
  enum class Type { kFile, kDirectory, kSymlink, kOther };
  Type type = Type::kFile;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;  // permission bits
};

// A stream being read; read() returns 0 at the end.
class FileReader {
 public:
  virtual ~FileReader() = default;
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
};

// A stream being written; commit() makes the file visible under its name (atomically
// where the file system allows). Destroying an uncommitted writer discards the file.
class FileWriter {
 public:
  virtual ~FileWriter() = default;
  virtual void write(const char* data, std::size_t size) = 0;
  virtual void commit() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual std::string describe() const = 0;

  // Does not follow a final symlink. nullopt when the path does not exist.
  virtual std::optional<FileInfo> stat(const std::string& path) = 0;
  // Like `mkdir -p` with the given mode for created directories.
  virtual void create_directories(const std::string& path, std::uint32_t mode = 0755) = 0;
  virtual std::vector<std::string> list(const std::string& directory) = 0;
  // Removes a file, or a directory tree (never following symlinks). Absent is fine.
  virtual void remove_all(const std::string& path) = 0;
  virtual std::string read_file(const std::string& path) = 0;  // small files only
  // Writes atomically (temporary file + rename).
  virtual void write_file(const std::string& path, const std::string& content,
                          std::uint32_t mode = 0644) = 0;
  // Resolves symlinks; StagingFailed when the path does not exist.
  virtual std::string real_path(const std::string& path) = 0;
  virtual std::unique_ptr<FileReader> open_read(const std::string& path) = 0;
  virtual std::unique_ptr<FileWriter> open_write(const std::string& path, std::uint32_t mode) = 0;
  // Gives a file or directory a new name on the same file system; `to` must not exist.
  // Atomic where rename(2) is (local, SFTP). Unsupported unless overridden.
  virtual void rename(const std::string& from, const std::string& to);
  // Writes a file that must not exist yet, in place: for a directory no one else sees
  // (a partial sandbox), where write_file's temporary name and rename buy nothing. Fails
  // when the file exists. By default, write_file.
  virtual void write_new_file(const std::string& path, const std::string& content,
                              std::uint32_t mode = 0644);
};

// Streams `from_path` on `from` to `to_path` on `to`, keeping the exec bit.
void copy_file(FileSystem& from, const std::string& from_path, FileSystem& to,
               const std::string& to_path);

// Passes every call to another file system; override one method to record calls or
// inject a failure in a test (the FileSystem twin of ForwardingRunner).
class ForwardingFileSystem : public FileSystem {
 public:
  explicit ForwardingFileSystem(std::shared_ptr<FileSystem> target) : target_(std::move(target)) {}
  std::string describe() const override { return target_->describe(); }
  std::optional<FileInfo> stat(const std::string& path) override { return target_->stat(path); }
  void create_directories(const std::string& path, std::uint32_t mode = 0755) override {
    target_->create_directories(path, mode);
  }
  std::vector<std::string> list(const std::string& directory) override {
    return target_->list(directory);
  }
  void remove_all(const std::string& path) override { target_->remove_all(path); }
  std::string read_file(const std::string& path) override { return target_->read_file(path); }
  void write_file(const std::string& path, const std::string& content,
                  std::uint32_t mode = 0644) override {
    target_->write_file(path, content, mode);
  }
  std::string real_path(const std::string& path) override { return target_->real_path(path); }
  std::unique_ptr<FileReader> open_read(const std::string& path) override {
    return target_->open_read(path);
  }
  std::unique_ptr<FileWriter> open_write(const std::string& path, std::uint32_t mode) override {
    return target_->open_write(path, mode);
  }
  void write_new_file(const std::string& path, const std::string& content,
                      std::uint32_t mode = 0644) override {
    target_->write_new_file(path, content, mode);
  }
  void rename(const std::string& from, const std::string& to) override {
    target_->rename(from, to);
  }

 protected:
  std::shared_ptr<FileSystem> target_;
};

class LocalFileSystem : public FileSystem {
 public:
  std::string describe() const override { return "local"; }
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
  void rename(const std::string& from, const std::string& to) override;
  void write_new_file(const std::string& path, const std::string& content,
                      std::uint32_t mode = 0644) override;
};

}  // namespace cuttle
