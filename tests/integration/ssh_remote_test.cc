// The SSH transport against a real sshd: SshRunner (quoting, stdin, timeouts, signals,
// one shared session) and SftpFileSystem (streaming, exec bit, errors, hostile names).
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "adaptors/ssh/remote.h"
#include "tests/integration/ssh_test_env.h"

namespace cuttle {
namespace {

namespace fs = std::filesystem;
using ssh_test::read_file;
using ssh_test::write_file;

detail::Remote open(std::map<std::string, std::string> extra = {}) {
  auto values = ssh_test::properties();
  for (auto& [k, v] : extra) values[k] = v;
  return detail::open_remote(Location::parse(ssh_test::location()),
                             Properties(detail::ssh_property_descriptors(), values),
                             ssh_test::credential());
}

// dir_ is on the disk both ends see.
using SshRemoteTest = ssh_test::ScratchTest;

const std::vector<std::string> kHostile = {
    "",
    "two words",
    "it's",
    "\"double\"",
    "new\nline",
    "$(touch /tmp/cuttle-pwned)",
    "`touch /tmp/cuttle-pwned`",
    "*",
    "; rm -rf /tmp/cuttle-pwned",
    "back\\slash",
    "tab\there",
    "\x01\x7f\xff non-utf8",
    "--",
    "-n",
    "$HOME ${PATH} $1",
    "'\\''",
};

TEST_F(SshRemoteTest, RunsCommandAndReturnsExitCodeAndOutput) {
  auto remote = open();
  CommandResult r = remote.runner->run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.stdout_text, "out\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_EQ(remote.runner->describe(), ssh_test::location());
}

TEST_F(SshRemoteTest, HostileArgumentsArriveByteForByte) {
  auto remote = open();
  std::vector<std::string> argv = {"/bin/sh", "-c", "printf '%s\\0' \"$@\"", "sh"};
  argv.insert(argv.end(), kHostile.begin(), kHostile.end());
  CommandResult r = remote.runner->run(argv);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::string expected;
  for (const auto& a : kHostile) expected += a + std::string(1, '\0');
  EXPECT_EQ(r.stdout_text, expected);
  EXPECT_FALSE(fs::exists("/tmp/cuttle-pwned"));
}

TEST_F(SshRemoteTest, HostileExecutableNameIsQuotedToo) {
  auto remote = open();
  std::string exe = dir_ + "/my prog's $(x)";
  write_file(exe, "#!/bin/sh\necho ran \"$1\"\n");
  fs::permissions(exe, fs::perms::owner_all);
  CommandResult r = remote.runner->run({exe, "a b"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "ran a b\n");
}

TEST_F(SshRemoteTest, LargeStdinIsStreamedAndEchoedWithoutDeadlock) {
  auto remote = open();
  std::string input;
  for (int i = 0; input.size() < 6 * 1024 * 1024; ++i) input += std::to_string(i) + "\n";
  CommandOptions options;
  options.stdin_text = input;
  options.timeout = std::chrono::seconds(60);
  CommandResult r = remote.runner->run({"cat"}, options);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_text.size(), input.size());
  EXPECT_TRUE(r.stdout_text == input);
}

TEST_F(SshRemoteTest, TimeoutKillsTheCommandAndThrowsTimeout) {
  auto remote = open();
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(500);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(remote.runner->run({"sleep", "30"}, options), Timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  // The session is still usable afterwards.
  EXPECT_EQ(remote.runner->run({"true"}).exit_code, 0);
}

TEST_F(SshRemoteTest, CommandKilledBySignalReports128PlusSignal) {
  auto remote = open();
  CommandResult r = remote.runner->run({"/bin/sh", "-c", "kill -9 $$"});
  EXPECT_EQ(r.exit_code, 128 + 9);
}

TEST_F(SshRemoteTest, ConcurrentCommandsShareOneSessionWithinTheChannelLimit) {
  auto remote = open({{"ssh.max.channels", "3"}});
  std::mutex mutex;
  std::set<std::string> parents;  // the sshd process serving the session
  int failures = 0;
  // The nearest sshd above the command: its parent with one exec per command, its
  // grandparent on a remote executor (ssh.executor=auto).
  const std::string serving_sshd =
      "p=$PPID; while [ \"$(ps -o comm= -p \"$p\")\" != sshd ]; do "
      "p=$(ps -o ppid= -p \"$p\"); p=${p##* }; done; echo \"$p\"; sleep 0.05";
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        try {
          CommandResult r = remote.runner->run({"/bin/sh", "-c", serving_sshd});
          std::lock_guard lock(mutex);
          if (r.exit_code != 0) ++failures;
          parents.insert(r.stdout_text);
        } catch (const std::exception&) {
          std::lock_guard lock(mutex);
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(parents.size(), 1u) << "every command ran in the same SSH connection";
}

TEST_F(SshRemoteTest, RemotesForTheSameHostShareTheSession) {
  auto a = open();
  auto b = open();
  EXPECT_EQ(a.runner->run({"/bin/sh", "-c", "echo $PPID"}).stdout_text,
            b.runner->run({"/bin/sh", "-c", "echo $PPID"}).stdout_text);
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

void write_pattern(const std::string& path, std::size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  std::string block(1 << 20, '\0');
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>((i * 131) % 251);
  for (std::size_t written = 0; written < bytes; written += block.size()) out << block;
}

TEST_F(SshRemoteTest, SftpStreamsAFileLargerThan200MBWithoutHoldingItInMemory) {
  auto remote = open();
  const std::size_t size = 210u << 20;
  const std::string local = dir_ + "/big.bin";
  write_pattern(local, size);
  LocalFileSystem local_fs;
  long before = rss_kib();
  copy_file(local_fs, local, *remote.files, dir_ + "/remote-copy.bin");
  copy_file(*remote.files, dir_ + "/remote-copy.bin", local_fs, dir_ + "/back.bin");
  long growth_mib = (rss_kib() - before) / 1024;
  EXPECT_LT(growth_mib, 64) << "RSS grew by " << growth_mib << " MiB for a 210 MiB file";
  ASSERT_EQ(remote.files->stat(dir_ + "/remote-copy.bin")->size, size);
  ASSERT_EQ(fs::file_size(dir_ + "/back.bin"), size);
  std::ifstream a(local, std::ios::binary), b(dir_ + "/back.bin", std::ios::binary);
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(a), {}, std::istreambuf_iterator<char>(b)));
}

TEST_F(SshRemoteTest, SftpKeepsTheExecBitBothWays) {
  auto remote = open();
  LocalFileSystem local_fs;
  write_file(dir_ + "/tool.sh", "#!/bin/sh\necho hi\n");
  fs::permissions(dir_ + "/tool.sh", fs::perms(0755));
  copy_file(local_fs, dir_ + "/tool.sh", *remote.files, dir_ + "/remote-tool.sh");
  EXPECT_EQ(remote.files->stat(dir_ + "/remote-tool.sh")->mode & 0777, 0755u);
  EXPECT_EQ(remote.runner->run({dir_ + "/remote-tool.sh"}).stdout_text, "hi\n");
  remote.files->write_file(dir_ + "/plain.txt", "x", 0640);
  EXPECT_EQ(remote.files->stat(dir_ + "/plain.txt")->mode & 0777, 0640u);
  copy_file(*remote.files, dir_ + "/remote-tool.sh", local_fs, dir_ + "/back-tool.sh");
  EXPECT_EQ(static_cast<unsigned>(fs::status(dir_ + "/back-tool.sh").permissions()) & 0777, 0755u);
}

TEST_F(SshRemoteTest, SftpCreatesDirectoriesListsAndRemovesTrees) {
  auto remote = open();
  remote.files->create_directories(dir_ + "/a/b/c", 0700);
  EXPECT_EQ(remote.files->stat(dir_ + "/a/b/c")->type, FileInfo::Type::kDirectory);
  EXPECT_EQ(remote.files->stat(dir_ + "/a/b/c")->mode & 0777, 0700u);
  remote.files->write_file(dir_ + "/a/b/c/f", "data");
  remote.files->write_file(dir_ + "/a/g", "data");
  auto names = remote.files->list(dir_ + "/a");
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"b", "g"}));
  remote.files->remove_all(dir_ + "/a");
  EXPECT_FALSE(remote.files->stat(dir_ + "/a"));
  remote.files->remove_all(dir_ + "/never-existed");  // absent is fine
}

TEST_F(SshRemoteTest, SftpHandlesHostileFileNames) {
  auto remote = open();
  for (const std::string name : {"with space", "quote's \"both\"", "new\nline", "$(x) `y` *"}) {
    const std::string path = dir_ + "/" + name;
    remote.files->write_file(path, "content of " + name);
    EXPECT_EQ(read_file(path), "content of " + name);
    EXPECT_EQ(remote.files->read_file(path), "content of " + name);
  }
  EXPECT_EQ(remote.files->list(dir_).size(), 4u);
}

TEST_F(SshRemoteTest, SftpWriteReplacesAnExistingFileAtomically) {
  auto remote = open();
  remote.files->write_file(dir_ + "/f", "old");
  remote.files->write_file(dir_ + "/f", "new content");
  EXPECT_EQ(read_file(dir_ + "/f"), "new content");
  EXPECT_EQ(fs::directory_iterator(dir_) == fs::directory_iterator(), false);
  int entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1) << "no temporary file left behind";
}

TEST_F(SshRemoteTest, UncommittedWriterLeavesNothing) {
  auto remote = open();
  {
    auto writer = remote.files->open_write(dir_ + "/partial", 0644);
    writer->write("abc", 3);
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SshRemoteTest, SftpErrorsNameThePathAndTheReason) {
  auto remote = open();
  try {
    remote.files->read_file(dir_ + "/missing");
    FAIL() << "expected StagingFailed";
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir_ + "/missing"), std::string::npos) << e.what();
  }
  EXPECT_THROW(remote.files->real_path(dir_ + "/missing"), StagingFailed);
  EXPECT_FALSE(remote.files->stat(dir_ + "/missing"));
}

TEST_F(SshRemoteTest, SftpPermissionDeniedIsReported) {
  auto remote = open();
  // /proc refuses new files even to root.
  try {
    remote.files->write_file("/proc/cuttle-test-file", "x");
    FAIL() << "expected StagingFailed";
  } catch (const StagingFailed& e) {
    std::string what = e.what();
    EXPECT_TRUE(what.find("permission denied") != std::string::npos ||
                what.find("no such file") != std::string::npos)
        << what;
  }
}

TEST_F(SshRemoteTest, SftpDiskFullIsReportedAsDiskFull) {
  const std::string mount_point = dir_ + "/small";
  fs::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs CAP_SYS_ADMIN)";
  }
  auto remote = open();
  std::string message;
  try {
    remote.files->write_file(mount_point + "/big", std::string(4 << 20, 'x'));
  } catch (const StagingFailed& e) {
    message = e.what();
  }
  ::umount2(mount_point.c_str(), MNT_DETACH);
  EXPECT_NE(message.find("disk full"), std::string::npos) << message;
}

}  // namespace
}  // namespace cuttle
