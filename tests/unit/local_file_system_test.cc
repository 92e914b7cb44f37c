// LocalFileSystem and copy_file: lstat semantics, mkdir -p, removal that never follows
// symlinks, atomic writes, streaming that keeps the exec bit, errors naming path and reason.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "cuttle/error.h"
#include "cuttle/file_system.h"

namespace cuttle {
namespace {

namespace fs = std::filesystem;

class LocalFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cuttle-lfs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(dir_, ignored);
  }
  std::string path(const std::string& relative) const { return dir_ + "/" + relative; }
  static void write(const std::string& p, const std::string& content) {
    std::ofstream(p, std::ios::binary) << content;
  }

  std::string dir_;
  LocalFileSystem lfs_;
};

TEST_F(LocalFileSystemTest, StatReportsTypeSizeAndModeWithoutFollowingSymlinks) {
  write(path("f"), "hello");
  ::chmod(path("f").c_str(), 0750);
  fs::create_symlink("/etc/passwd", path("link"));
  auto file = lfs_.stat(path("f"));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->type, FileInfo::Type::kFile);
  EXPECT_EQ(file->size, 5u);
  EXPECT_EQ(file->mode, 0750u);
  auto link = lfs_.stat(path("link"));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->type, FileInfo::Type::kSymlink);
  EXPECT_EQ(lfs_.stat(dir_)->type, FileInfo::Type::kDirectory);
}

TEST_F(LocalFileSystemTest, RenameMovesFilesAndTreesAndNamesBothPathsOnFailure) {
  ASSERT_TRUE(fs::create_directories(path("tree/sub")));
  write(path("tree/sub/f"), "x");
  lfs_.rename(path("tree"), path("moved"));
  EXPECT_FALSE(fs::exists(path("tree")));
  EXPECT_EQ(lfs_.read_file(path("moved/sub/f")), "x");
  lfs_.rename(path("moved/sub/f"), path("moved/g"));
  EXPECT_EQ(lfs_.read_file(path("moved/g")), "x");
  try {
    lfs_.rename(path("absent"), path("target"));
    FAIL() << "renamed a missing path";
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find(path("absent")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path("target")), std::string::npos) << e.what();
  }
  // A file system that does not override rename says so.
  struct NoRename : ForwardingFileSystem {
    using ForwardingFileSystem::ForwardingFileSystem;
    void rename(const std::string& from, const std::string& to) override {
      FileSystem::rename(from, to);
    }
  };
  NoRename plain(std::make_shared<LocalFileSystem>());
  EXPECT_THROW(plain.rename(path("moved"), path("again")), Unsupported);
}

TEST_F(LocalFileSystemTest, StatOfMissingPathIsNullopt) {
  EXPECT_FALSE(lfs_.stat(path("missing")));
  EXPECT_FALSE(lfs_.stat(path("missing/below")));
}

TEST_F(LocalFileSystemTest, CreateDirectoriesIsLikeMkdirP) {
  lfs_.create_directories(path("a/b//c/"), 0700);
  EXPECT_TRUE(fs::is_directory(path("a/b/c")));
  EXPECT_EQ(lfs_.stat(path("a/b/c"))->mode, 0700u);
  lfs_.create_directories(path("a/b/c"));  // existing is fine
}

TEST_F(LocalFileSystemTest, CreateDirectoriesOverAFileFails) {
  write(path("file"), "x");
  EXPECT_THROW(lfs_.create_directories(path("file/sub")), StagingFailed);
  try {
    lfs_.create_directories(path("file"));  // mkdir says EEXIST; it is no directory
    FAIL() << "a regular file passed for a directory";
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find("Not a directory"), std::string::npos) << e.what();
  }
}

TEST_F(LocalFileSystemTest, ListReturnsSortedNamesWithoutDots) {
  write(path("b"), "");
  write(path("a"), "");
  write(path("weird name $(x)\n"), "");
  auto names = lfs_.list(dir_);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "weird name $(x)\n"}));
}

TEST_F(LocalFileSystemTest, RemoveAllNeverFollowsSymlinks) {
  std::string outside = path("outside");
  fs::create_directories(outside);
  write(outside + "/precious", "keep me");
  fs::create_directories(path("tree/sub"));
  write(path("tree/sub/file"), "x");
  fs::create_directory_symlink(outside, path("tree/link-to-outside"));
  fs::create_symlink(outside + "/precious", path("tree/sub/link-to-file"));
  ::chmod(path("tree/sub").c_str(), 0500);  // a job may leave read-only directories
  lfs_.remove_all(path("tree"));
  EXPECT_FALSE(fs::exists(path("tree")));
  EXPECT_TRUE(fs::exists(outside + "/precious"));
}

TEST_F(LocalFileSystemTest, RemoveAllOfASymlinkRemovesOnlyTheLink) {
  fs::create_directories(path("target"));
  write(path("target/f"), "x");
  fs::create_directory_symlink(path("target"), path("link"));
  lfs_.remove_all(path("link"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(path("link"))));
  EXPECT_TRUE(fs::exists(path("target/f")));
}

TEST_F(LocalFileSystemTest, RemoveAllOfMissingPathIsFine) { lfs_.remove_all(path("missing")); }

TEST_F(LocalFileSystemTest, WriteFileIsAtomicAndLeavesNoTemporary) {
  lfs_.write_file(path("out"), "first", 0600);
  lfs_.write_file(path("out"), std::string("second\0with nul", 15), 0755);
  EXPECT_EQ(lfs_.read_file(path("out")), std::string("second\0with nul", 15));
  EXPECT_EQ(lfs_.stat(path("out"))->mode, 0755u);
  EXPECT_EQ(lfs_.list(dir_), std::vector<std::string>{"out"});
}

// For a directory only its creator sees (a partial sandbox): written in place, with the
// exact mode whatever the umask, and never over an existing file or through a symlink.
TEST_F(LocalFileSystemTest, WriteNewFileWritesInPlaceAndNeverOverAnExistingName) {
  const mode_t old_umask = ::umask(077);
  lfs_.write_new_file(path("wrapper.sh"), "#!/bin/sh\n", 0755);
  ::umask(old_umask);
  EXPECT_EQ(lfs_.read_file(path("wrapper.sh")), "#!/bin/sh\n");
  EXPECT_EQ(lfs_.stat(path("wrapper.sh"))->mode, 0755u);
  EXPECT_EQ(lfs_.list(dir_), (std::vector<std::string>{"wrapper.sh"}));  // no temporary

  try {
    lfs_.write_new_file(path("wrapper.sh"), "other");
    FAIL() << "an existing file was overwritten";
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find(path("wrapper.sh")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("File exists"), std::string::npos) << e.what();
  }
  EXPECT_EQ(lfs_.read_file(path("wrapper.sh")), "#!/bin/sh\n");

  write(path("target"), "keep");
  fs::create_symlink(path("target"), path("link"));
  EXPECT_THROW(lfs_.write_new_file(path("link"), "through the link"), StagingFailed);
  EXPECT_EQ(lfs_.read_file(path("target")), "keep");
  EXPECT_THROW(lfs_.write_new_file(path("missing/file"), "x"), StagingFailed);
}

TEST_F(LocalFileSystemTest, ReadMissingFileNamesPathAndReason) {
  try {
    lfs_.read_file(path("missing"));
    FAIL();
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find(path("missing")), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST_F(LocalFileSystemTest, WriteIntoMissingDirectoryNamesPathAndReason) {
  try {
    lfs_.write_file(path("no/such/dir/f"), "x");
    FAIL();
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find(path("no/such/dir/f")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST_F(LocalFileSystemTest, PermissionDeniedIsReported) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores permissions";
  write(path("secret"), "x");
  ::chmod(path("secret").c_str(), 0);
  try {
    lfs_.read_file(path("secret"));
    FAIL();
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find("Permission denied"), std::string::npos) << e.what();
  }
}

TEST_F(LocalFileSystemTest, RealPathResolvesSymlinksAndFailsForMissing) {
  fs::create_directories(path("real"));
  fs::create_directory_symlink(path("real"), path("alias"));
  EXPECT_EQ(lfs_.real_path(path("alias")), fs::canonical(path("real")).string());
  EXPECT_THROW(lfs_.real_path(path("missing")), StagingFailed);
}

TEST_F(LocalFileSystemTest, UncommittedWriterLeavesNothing) {
  {
    auto writer = lfs_.open_write(path("partial"), 0644);
    writer->write("abc", 3);
  }
  EXPECT_TRUE(lfs_.list(dir_).empty());
}

TEST_F(LocalFileSystemTest, CommittedWriterAppearsUnderItsName) {
  write(path("existing"), "old");
  auto writer = lfs_.open_write(path("existing"), 0640);
  writer->write("new", 3);
  EXPECT_EQ(lfs_.read_file(path("existing")), "old");  // not visible before commit
  writer->commit();
  EXPECT_EQ(lfs_.read_file(path("existing")), "new");
  EXPECT_EQ(lfs_.stat(path("existing"))->mode, 0640u);
}

TEST_F(LocalFileSystemTest, OpenReadOfDirectoryFails) {
  EXPECT_THROW(lfs_.open_read(dir_), StagingFailed);
}

TEST_F(LocalFileSystemTest, CopyFileStreamsLargeFilesAndKeepsExecBit) {
  std::string content;
  for (int i = 0; i < (3 << 20) + 17; ++i) content += static_cast<char>(i * 7);
  write(path("big"), content);
  ::chmod(path("big").c_str(), 0751);
  LocalFileSystem other;
  copy_file(lfs_, path("big"), other, path("copy"));
  EXPECT_EQ(lfs_.read_file(path("copy")), content);
  EXPECT_EQ(lfs_.stat(path("copy"))->mode, 0751u);
}

TEST_F(LocalFileSystemTest, CopyFileOfMissingSourceFails) {
  EXPECT_THROW(copy_file(lfs_, path("missing"), lfs_, path("copy")), StagingFailed);
  EXPECT_FALSE(lfs_.stat(path("copy")));
}

TEST_F(LocalFileSystemTest, CopyIntoMissingDirectoryNamesTheDestination) {
  write(path("src"), "x");
  try {
    copy_file(lfs_, path("src"), lfs_, path("no/such/dir/dst"));
    FAIL();
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir/dst"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cuttle
