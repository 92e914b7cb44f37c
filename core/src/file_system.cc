// LocalFileSystem (POSIX calls, fd-relative removal that never follows symlinks, atomic
// writes through a temporary file in the same directory) and the streaming copy_file.
#include "cuttle/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "cuttle/error.h"
#include "internal/path_text.h"

namespace cuttle {
namespace {

using detail::base_of;
using detail::parent_of;

constexpr std::size_t kChunk = 1 << 20;

[[noreturn]] void fail(const std::string& operation, const std::string& path, int err) {
  throw StagingFailed(operation + " " + path + ": " + std::strerror(err));
}

void close_quietly(int fd) {
  if (fd >= 0) {
    ::close(fd);
  }
}

FileInfo::Type type_of(mode_t mode) {
  if (S_ISREG(mode)) return FileInfo::Type::kFile;
  if (S_ISDIR(mode)) return FileInfo::Type::kDirectory;
  if (S_ISLNK(mode)) return FileInfo::Type::kSymlink;
  return FileInfo::Type::kOther;
}

void write_all(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// A temporary sibling of `path`, created with `mode` (umask does not apply: the caller
// asked for these bits, e.g. to keep an exec bit).
int create_temporary(const std::string& path, std::uint32_t mode, std::string& temp_path) {
  std::string pattern = parent_of(path) + "/." + base_of(path) + ".cuttle-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  int fd = ::mkostemp(buffer.data(), O_CLOEXEC);
  if (fd < 0) {
    fail("cannot create", path, errno);
  }
  temp_path.assign(buffer.data());
  if (::fchmod(fd, static_cast<mode_t>(mode & 07777)) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(temp_path.c_str());
    fail("cannot set the mode of", path, err);
  }
  return fd;
}

void finish_temporary(int fd, const std::string& temp_path, const std::string& path) {
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    fail("cannot write", path, err);
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    fail("cannot rename into", path, err);
  }
}

// Removes everything inside the directory open as `dir_fd`, never following a symlink:
// every step is relative to a descriptor opened with O_NOFOLLOW.
void remove_contents(int dir_fd, const std::string& path) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(dir_fd);
    fail("cannot list", path, err);
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int fd = ::dirfd(dir);
  for (const std::string& name : names) {
    std::string child = path + "/" + name;
    struct stat st;
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      int err = errno;
      ::closedir(dir);
      fail("cannot stat", child, err);
    }
    if (S_ISDIR(st.st_mode)) {
      int child_fd = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child_fd >= 0) {
        // A job may leave read-only directories behind; we own them, so make them writable.
        if ((st.st_mode & S_IRWXU) != S_IRWXU) ::fchmod(child_fd, (st.st_mode & 07777) | S_IRWXU);
        remove_contents(child_fd, child);
      }
    }
    if (::unlinkat(fd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 &&
        errno != ENOENT) {
      int err = errno;
      ::closedir(dir);
      fail("cannot remove", child, err);
    }
  }
  ::closedir(dir);
}

class LocalReader : public FileReader {
 public:
  LocalReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~LocalReader() override { close_quietly(fd_); }
  std::size_t read(char* buffer, std::size_t size) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) fail("cannot read", path_, errno);
    }
  }

 private:
  int fd_;
  std::string path_;
};

class LocalWriter : public FileWriter {
 public:
  LocalWriter(std::string path, std::uint32_t mode) : path_(std::move(path)) {
    fd_ = create_temporary(path_, mode, temp_path_);
  }
  ~LocalWriter() override {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(temp_path_.c_str());
    }
  }
  void write(const char* data, std::size_t size) override {
    if (fd_ < 0) throw InternalError("write after commit: " + path_);
    write_all(fd_, data, size, path_);
  }
  void commit() override {
    if (fd_ < 0) throw InternalError("commit twice: " + path_);
    int fd = fd_;
    fd_ = -1;
    finish_temporary(fd, temp_path_, path_);
  }

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

}  // namespace

std::optional<FileInfo> LocalFileSystem::stat(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    fail("cannot stat", path, errno);
  }
  FileInfo info;
  info.type = type_of(st.st_mode);
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  return info;
}

namespace {

// mkdir of `path` alone: 0 when created or a directory is already there, else the errno
// (ENOTDIR when something else is there). One mkdir; a stat only when it exists.
int make_one_directory(const std::string& path, std::uint32_t mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode & 07777)) == 0) {
    // mkdir applies the umask; the caller asked for these exact bits.
    ::chmod(path.c_str(), static_cast<mode_t>(mode & 07777));
    return 0;
  }
  const int err = errno;
  if (err != EEXIST) return err;
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

}  // namespace

void LocalFileSystem::create_directories(const std::string& path, std::uint32_t mode) {
  if (path.empty()) throw StagingFailed("cannot create a directory with an empty name");
  std::string leaf = path;
  while (leaf.size() > 1 && leaf.back() == '/') leaf.pop_back();
  // The common cases cost one mkdir (the parent exists) or a mkdir and a stat (the
  // directory does); only a missing parent makes us walk up, so a sandbox per job does
  // not pay a syscall per path component.
  int err = make_one_directory(leaf, mode);
  if (err == ENOENT) {
    std::size_t slash = leaf.find_last_of('/');
    if (slash != std::string::npos && slash > 0) create_directories(leaf.substr(0, slash), mode);
    err = make_one_directory(leaf, mode);
  }
  if (err != 0) fail("cannot create directory", leaf, err);
}

std::vector<std::string> LocalFileSystem::list(const std::string& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) fail("cannot list", directory, errno);
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

void LocalFileSystem::remove_all(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    fail("cannot stat", path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) fail("cannot open", path, errno);
    if ((st.st_mode & S_IRWXU) != S_IRWXU) ::fchmod(fd, (st.st_mode & 07777) | S_IRWXU);
    remove_contents(fd, path);
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) fail("cannot remove", path, errno);
    return;
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("cannot remove", path, errno);
}

std::string LocalFileSystem::read_file(const std::string& path) {
  int probe = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (probe < 0) fail("cannot open", path, errno);
  LocalReader file(probe, path);
  std::string content;
  std::vector<char> buffer(1 << 16);
  while (std::size_t n = file.read(buffer.data(), buffer.size())) {
    content.append(buffer.data(), n);
  }
  return content;
}

void FileSystem::rename(const std::string& from, const std::string&) {
  throw Unsupported(describe() + " cannot rename " + from);
}

void LocalFileSystem::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail("cannot rename " + from + " to", to, errno);
}

void FileSystem::write_new_file(const std::string& path, const std::string& content,
                                std::uint32_t mode) {
  write_file(path, content, mode);
}

void LocalFileSystem::write_new_file(const std::string& path, const std::string& content,
                                     std::uint32_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                        static_cast<mode_t>(mode & 07777));
  if (fd < 0) fail("cannot create", path, errno);
  try {
    // open applies the umask; the caller asked for these exact bits.
    if (::fchmod(fd, static_cast<mode_t>(mode & 07777)) != 0) {
      fail("cannot set the mode of", path, errno);
    }
    write_all(fd, content.data(), content.size(), path);
  } catch (...) {
    ::close(fd);
    ::unlink(path.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    fail("cannot write", path, err);
  }
}

void LocalFileSystem::write_file(const std::string& path, const std::string& content,
                                 std::uint32_t mode) {
  std::string temp_path;
  int fd = create_temporary(path, mode, temp_path);
  try {
    write_all(fd, content.data(), content.size(), path);
  } catch (...) {
    ::close(fd);
    ::unlink(temp_path.c_str());
    throw;
  }
  finish_temporary(fd, temp_path, path);
}

std::string LocalFileSystem::real_path(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) fail("cannot resolve", path, errno);
  std::string result(resolved);
  std::free(resolved);
  return result;
}

std::unique_ptr<FileReader> LocalFileSystem::open_read(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    fail("cannot read", path, EISDIR);
  }
  return std::make_unique<LocalReader>(fd, path);
}

std::unique_ptr<FileWriter> LocalFileSystem::open_write(const std::string& path,
                                                        std::uint32_t mode) {
  return std::make_unique<LocalWriter>(path, mode);
}

void copy_file(FileSystem& from, const std::string& from_path, FileSystem& to,
               const std::string& to_path) {
  std::optional<FileInfo> info = from.stat(from_path);
  if (!info) throw StagingFailed("cannot copy " + from_path + ": No such file or directory");
  if (info->type == FileInfo::Type::kSymlink) {
    info = from.stat(from.real_path(from_path));
    if (!info) throw StagingFailed("cannot copy " + from_path + ": dangling symlink");
  }
  if (info->type != FileInfo::Type::kFile) {
    throw StagingFailed("cannot copy " + from_path + ": not a regular file");
  }
  std::unique_ptr<FileReader> reader = from.open_read(from_path);
  std::unique_ptr<FileWriter> writer = to.open_write(to_path, info->mode & 0777);
  std::vector<char> buffer(kChunk);
  while (std::size_t n = reader->read(buffer.data(), buffer.size())) {
    writer->write(buffer.data(), n);
  }
  writer->commit();
}

}  // namespace cuttle
