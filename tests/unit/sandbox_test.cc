// Path confinement and the job sandbox: every way out (.., absolute, NUL, symlinks either
// way) is refused; staging round-trips; stage-out reports a problem and goes on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cuttle/error.h"
#include "cuttle/sandbox.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

namespace fs = std::filesystem;

using testing::read_file;
using testing::write_file;

void spit(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  write_file(path, content);
}

void expect_refused(std::string_view path, const std::string& why_fragment) {
  try {
    confine_relative_path(path, "stage_in[3].destination");
    FAIL() << "accepted " << path;
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "stage_in[3].destination");
    EXPECT_NE(e.reason().find(why_fragment), std::string::npos) << e.reason();
  }
}

TEST(ConfineRelativePath, NormalisesDotsAndRepeatedSlashes) {
  EXPECT_EQ(confine_relative_path("a/./b//c", "f"), "a/b/c");
  EXPECT_EQ(confine_relative_path("./a/", "f"), "a");
  EXPECT_EQ(confine_relative_path("a/../b", "f"), "b");
  EXPECT_EQ(confine_relative_path("a/b/../../c", "f"), "c");
}

TEST(ConfineRelativePath, KeepsHostileButHarmlessNames) {
  EXPECT_EQ(confine_relative_path("$(rm -rf ~)/`id`/'q'\n*", "f"), "$(rm -rf ~)/`id`/'q'\n*");
  EXPECT_EQ(confine_relative_path("..hidden/a..b", "f"), "..hidden/a..b");
}

TEST(ConfineRelativePath, RefusesEveryEscape) {
  expect_refused("", "empty");
  expect_refused("/etc/passwd", "absolute");
  expect_refused("//etc", "absolute");
  expect_refused("..", "escapes");
  expect_refused("../x", "escapes");
  expect_refused("a/../../b", "escapes");
  expect_refused("a/b/../../../c", "escapes");
  expect_refused("./..", "escapes");
  expect_refused(".", "directory itself");
  expect_refused("a/..", "directory itself");
  expect_refused(std::string_view("a\0/../../etc", 12), "NUL");
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cuttle-sandbox-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = fs::canonical(pattern).string();
    client_root_ = base_ + "/client";
    fs::create_directories(client_root_);
    target_ = std::make_shared<LocalFileSystem>();
    sandbox_ = std::make_unique<Sandbox>(target_, base_ + "/root", "job-1");
    sandbox_->create();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  std::string base_;
  std::string client_root_;
  std::shared_ptr<LocalFileSystem> target_;
  LocalFileSystem client_;
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(SandboxTest, SandboxIsRootSlashJobKey) {
  EXPECT_EQ(sandbox_->path(), base_ + "/root/job-1");
  EXPECT_TRUE(fs::is_directory(sandbox_->path()));
  EXPECT_EQ(sandbox_->resolve("a/./b", "f"), base_ + "/root/job-1/a/b");
  EXPECT_THROW(sandbox_->resolve("../job-2/x", "f"), InvalidJobDescription);
}

TEST_F(SandboxTest, JobKeyMustBeOneSafeComponent) {
  for (std::string key : {"", ".", "..", "../x", "a/b", "a b", "$(id)", "x\n"}) {
    EXPECT_THROW(Sandbox(target_, base_, key), InvalidArgument) << key;
  }
  EXPECT_THROW(Sandbox(target_, "relative/root", "job"), InvalidArgument);
}

// A file system whose rename fails: create(first_files) must leave nothing behind.
class FailingRename : public ForwardingFileSystem {
 public:
  using ForwardingFileSystem::ForwardingFileSystem;
  void rename(const std::string& from, const std::string&) override {
    throw StagingFailed("test fault: cannot rename " + from);
  }
};

TEST_F(SandboxTest, CreateWithFirstFilesShowsTheSandboxOnlyWithThem) {
  Sandbox sandbox(target_, base_ + "/root", "job-2");
  sandbox.create({{".cuttle/name", "my job"}, {"a/b.txt", "b"}}, "my job");
  EXPECT_EQ(read_file(sandbox.path() + "/.cuttle/name"), "my job");
  EXPECT_EQ(read_file(sandbox.path() + "/a/b.txt"), "b");
  EXPECT_EQ(fs::status(sandbox.path()).permissions() & fs::perms::all, fs::perms::owner_all);
  // The missing root was made on the way, private like the sandbox; the first files were
  // written in place (the partial is private until its rename), leaving no temporaries.
  EXPECT_EQ(fs::status(base_ + "/root").permissions() & fs::perms::all, fs::perms::owner_all);
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(sandbox.path())) {
    names.push_back(fs::relative(e.path(), sandbox.path()).string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".cuttle", ".cuttle/name", "a", "a/b.txt"}));
  EXPECT_EQ(sandbox.partial_path("my job"),
            base_ + "/root/.job-2" + Sandbox::partial_suffix("my job"));
  EXPECT_FALSE(fs::exists(sandbox.partial_path("my job")));
  // A second create of the same key finds the sandbox there: refused, the first untouched.
  EXPECT_THROW(sandbox.create({{".cuttle/name", "other"}}, "other"), StagingFailed);
  EXPECT_EQ(read_file(sandbox.path() + "/.cuttle/name"), "my job");
  EXPECT_FALSE(fs::exists(sandbox.partial_path("other")));
  // First files stay inside the sandbox.
  Sandbox escaping(target_, base_ + "/root", "job-3");
  EXPECT_THROW(escaping.create({{"../job-2/.cuttle/name", "x"}}, "x"), InvalidJobDescription);
  EXPECT_FALSE(fs::exists(escaping.path()));
  EXPECT_FALSE(fs::exists(escaping.partial_path("x")));
  EXPECT_EQ(read_file(sandbox.path() + "/.cuttle/name"), "my job");
}

TEST_F(SandboxTest, CreateWithFirstFilesLeavesNothingWhenTheRenameFails) {
  Sandbox sandbox(std::make_shared<FailingRename>(target_), base_ + "/root", "job-2");
  EXPECT_THROW(sandbox.create({{".cuttle/name", "n"}}, "n"), StagingFailed);
  EXPECT_FALSE(fs::exists(sandbox.path()));
  EXPECT_FALSE(fs::exists(sandbox.partial_path("n")));
}

TEST_F(SandboxTest, PartialSuffixIsAFixedDigestOfTheOwner) {
  // FNV-1a 64 of "": the same in every process and on every host (the ssh adaptor's
  // remote script matches it).
  EXPECT_EQ(Sandbox::partial_suffix(""), ".cbf29ce484222325.partial");
  EXPECT_EQ(Sandbox::partial_suffix("a"), ".af63dc4c8601ec8c.partial");
  EXPECT_NE(Sandbox::partial_suffix("job-1"), Sandbox::partial_suffix("job-2"));
}

TEST_F(SandboxTest, RemovePartialsRemovesOnlyTheOwnersWhateverTheyHold) {
  const std::string root = base_ + "/root";
  const std::string mine = Sandbox::partial_suffix("mine");
  spit(root + "/.k1" + mine + "/.cuttle/name", "mine");  // a crash after the name
  fs::create_directories(root + "/.k2" + mine);          // a crash before it
  spit(root + "/.k3" + Sandbox::partial_suffix("other") + "/.cuttle/name", "other");
  spit(root + "/k4/.cuttle/name", "mine");  // a real sandbox
  fs::create_directories(root + "/" + mine.substr(1));
  EXPECT_EQ(Sandbox::remove_partials(*target_, root, "mine"), 2u);
  EXPECT_FALSE(fs::exists(root + "/.k1" + mine));
  EXPECT_FALSE(fs::exists(root + "/.k2" + mine));
  EXPECT_TRUE(fs::exists(root + "/.k3" + Sandbox::partial_suffix("other")));
  EXPECT_TRUE(fs::exists(root + "/k4/.cuttle/name"));
  EXPECT_TRUE(fs::exists(root + "/" + mine.substr(1)));
  EXPECT_EQ(Sandbox::remove_partials(*target_, base_ + "/absent", "mine"), 0u);
}

TEST_F(SandboxTest, StageInAndOutRoundTrip) {
  spit(client_root_ + "/input.txt", "input data");
  spit(client_root_ + "/tool.sh", "#!/bin/sh\necho hi\n");
  ::chmod((client_root_ + "/tool.sh").c_str(), 0755);
  spit(client_root_ + "/dir/nested/deep.txt", "deep");
  spit(client_root_ + "/weird $(id) 'q'\n.txt", "hostile name");
  JobDescription description;
  description.stage_in = {{"input.txt", ""},
                          {client_root_ + "/tool.sh", "bin/tool.sh"},
                          {"dir", "tree"},
                          {"weird $(id) 'q'\n.txt", "w/`x`.txt"}};
  sandbox_->stage_in(client_, description, client_root_);

  const std::string& box = sandbox_->path();
  EXPECT_EQ(read_file(box + "/input.txt"), "input data");
  EXPECT_EQ(read_file(box + "/bin/tool.sh"), "#!/bin/sh\necho hi\n");
  EXPECT_TRUE(fs::status(box + "/bin/tool.sh").permissions() == fs::perms(0755));
  EXPECT_EQ(read_file(box + "/tree/nested/deep.txt"), "deep");
  EXPECT_EQ(read_file(box + "/w/`x`.txt"), "hostile name");

  spit(box + "/result.txt", "result");
  spit(box + "/out/dir/a.txt", "a");
  description.stage_out = {{"result.txt", ""}, {"out", "collected/out"}, {"w/`x`.txt", "back.txt"}};
  std::vector<std::string> problems = sandbox_->stage_out(client_, description, client_root_);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(read_file(client_root_ + "/result.txt"), "result");
  EXPECT_EQ(read_file(client_root_ + "/collected/out/dir/a.txt"), "a");
  EXPECT_EQ(read_file(client_root_ + "/back.txt"), "hostile name");
}

TEST_F(SandboxTest, StageInRefusesDotDotInDestination) {
  spit(client_root_ + "/f", "x");
  JobDescription description;
  description.stage_in = {{"f", "a/../../escaped"}};
  try {
    sandbox_->stage_in(client_, description, client_root_);
    FAIL();
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "stage_in[0].destination");
  }
  EXPECT_FALSE(fs::exists(base_ + "/root/escaped"));
}

TEST_F(SandboxTest, StageInRefusesAbsoluteDestination) {
  spit(client_root_ + "/f", "x");
  JobDescription description;
  description.stage_in = {{"f", base_ + "/absolute"}};
  EXPECT_THROW(sandbox_->stage_in(client_, description, client_root_), InvalidJobDescription);
  EXPECT_FALSE(fs::exists(base_ + "/absolute"));
}

TEST_F(SandboxTest, StageInRefusesSourceOutsideClientRoot) {
  spit(base_ + "/secret", "secret");
  JobDescription description;
  description.stage_in = {{"../secret", "s"}};
  EXPECT_THROW(sandbox_->stage_in(client_, description, client_root_), InvalidJobDescription);
  description.stage_in = {{base_ + "/secret", "s"}};
  EXPECT_THROW(sandbox_->stage_in(client_, description, client_root_), InvalidJobDescription);
  description.stage_in = {{client_root_ + "/../secret", "s"}};
  EXPECT_THROW(sandbox_->stage_in(client_, description, client_root_), InvalidJobDescription);
  EXPECT_FALSE(fs::exists(sandbox_->path() + "/s"));
}

TEST_F(SandboxTest, StageInRefusesSymlinkEscapingClientRoot) {
  spit(base_ + "/secret", "secret");
  fs::create_symlink(base_ + "/secret", client_root_ + "/innocent");
  fs::create_directory_symlink(base_, client_root_ + "/updir");
  JobDescription description;
  description.stage_in = {{"innocent", "s"}};
  try {
    sandbox_->stage_in(client_, description, client_root_);
    FAIL();
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find("stage_in[0]"), std::string::npos) << e.what();
  }
  description.stage_in = {{"updir/secret", "s"}};
  EXPECT_THROW(sandbox_->stage_in(client_, description, client_root_), StagingFailed);
  EXPECT_FALSE(fs::exists(sandbox_->path() + "/s"));
}

TEST_F(SandboxTest, StageInRefusesSymlinkInsideStagedTreeEscapingClientRoot) {
  spit(base_ + "/secret", "secret");
  spit(client_root_ + "/tree/ok.txt", "ok");
  fs::create_symlink(base_ + "/secret", client_root_ + "/tree/leak");
  JobDescription description;
  description.stage_in = {{"tree", ""}};
  EXPECT_THROW(sandbox_->stage_in(client_, description, client_root_), StagingFailed);
  EXPECT_FALSE(fs::exists(sandbox_->path() + "/tree/leak"));
}

TEST_F(SandboxTest, StageInFollowsSymlinkThatStaysInsideClientRoot) {
  spit(client_root_ + "/real.txt", "real");
  fs::create_symlink("real.txt", client_root_ + "/alias.txt");
  JobDescription description;
  description.stage_in = {{"alias.txt", ""}};
  sandbox_->stage_in(client_, description, client_root_);
  EXPECT_EQ(read_file(sandbox_->path() + "/alias.txt"), "real");
  EXPECT_FALSE(fs::is_symlink(sandbox_->path() + "/alias.txt"));
}

TEST_F(SandboxTest, StageInOfMissingSourceNamesTheEntry) {
  JobDescription description;
  description.stage_in = {{"missing.txt", ""}};
  try {
    sandbox_->stage_in(client_, description, client_root_);
    FAIL();
  } catch (const StagingFailed& e) {
    EXPECT_NE(std::string(e.what()).find("stage_in[0]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing.txt"), std::string::npos) << e.what();
  }
}

TEST_F(SandboxTest, StageInRefusesNulBytes) {
  JobDescription description;
  description.stage_in = {{std::string("a\0b", 3), ""}};
  EXPECT_THROW(sandbox_->stage_in(client_, description, client_root_), InvalidJobDescription);
}

TEST_F(SandboxTest, StageOutRefusesSymlinkEscapingTheSandbox) {
  // A job may leave a symlink to any file it can name.
  fs::create_symlink("/etc/passwd", sandbox_->path() + "/passwd");
  fs::create_directory_symlink("/etc", sandbox_->path() + "/etc");
  spit(sandbox_->path() + "/fine.txt", "fine");
  JobDescription description;
  description.stage_out = {{"passwd", ""}, {"etc/hostname", ""}, {"fine.txt", ""}};
  std::vector<std::string> problems = sandbox_->stage_out(client_, description, client_root_);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("stage_out[0]"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("stage_out[1]"), std::string::npos) << problems[1];
  EXPECT_FALSE(fs::exists(client_root_ + "/passwd"));
  EXPECT_FALSE(fs::exists(client_root_ + "/hostname"));
  EXPECT_EQ(read_file(client_root_ + "/fine.txt"), "fine");
}

TEST_F(SandboxTest, StageOutRefusesEscapingSymlinkInsideADirectory) {
  spit(sandbox_->path() + "/results/a.txt", "a");
  fs::create_symlink("/etc/passwd", sandbox_->path() + "/results/leak");
  JobDescription description;
  description.stage_out = {{"results", ""}};
  std::vector<std::string> problems = sandbox_->stage_out(client_, description, client_root_);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_FALSE(fs::exists(client_root_ + "/results/leak"));
}

TEST_F(SandboxTest, StageOutOfMissingFileIsReportedWhileOthersAreCopied) {
  spit(sandbox_->path() + "/a.txt", "a");
  spit(sandbox_->path() + "/c.txt", "c");
  JobDescription description;
  description.stage_out = {{"a.txt", ""}, {"out.txt", ""}, {"c.txt", ""}};
  std::vector<std::string> problems = sandbox_->stage_out(client_, description, client_root_);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "stage_out[1]: no such file out.txt");
  EXPECT_EQ(read_file(client_root_ + "/a.txt"), "a");
  EXPECT_EQ(read_file(client_root_ + "/c.txt"), "c");
}

TEST_F(SandboxTest, StageOutRefusesDestinationsOutsideClientRoot) {
  spit(sandbox_->path() + "/a.txt", "a");
  JobDescription description;
  description.stage_out = {{"a.txt", "../escaped.txt"},
                           {"a.txt", base_ + "/escaped2.txt"},
                           {"../job-2/x", "x"},
                           {"a.txt", "kept.txt"}};
  std::vector<std::string> problems = sandbox_->stage_out(client_, description, client_root_);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("stage_out[0].destination"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("stage_out[1].destination"), std::string::npos) << problems[1];
  EXPECT_NE(problems[2].find("stage_out[2].source"), std::string::npos) << problems[2];
  EXPECT_FALSE(fs::exists(base_ + "/escaped.txt"));
  EXPECT_FALSE(fs::exists(base_ + "/escaped2.txt"));
  EXPECT_EQ(read_file(client_root_ + "/kept.txt"), "a");
}

TEST_F(SandboxTest, StageOutRefusesClientSideSymlinkLeadingOutOfClientRoot) {
  spit(sandbox_->path() + "/a.txt", "a");
  fs::create_directories(base_ + "/elsewhere");
  fs::create_directory_symlink(base_ + "/elsewhere", client_root_ + "/link");
  JobDescription description;
  description.stage_out = {{"a.txt", "link/a.txt"}};
  std::vector<std::string> problems = sandbox_->stage_out(client_, description, client_root_);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_FALSE(fs::exists(base_ + "/elsewhere/a.txt"));
}

TEST_F(SandboxTest, CleanupRemovesTheSandboxButNothingItLinksTo) {
  spit(base_ + "/keep.txt", "keep");
  fs::create_symlink(base_ + "/keep.txt", sandbox_->path() + "/link");
  spit(sandbox_->path() + "/sub/file", "x");
  sandbox_->cleanup();
  EXPECT_FALSE(fs::exists(sandbox_->path()));
  EXPECT_EQ(read_file(base_ + "/keep.txt"), "keep");
  EXPECT_TRUE(fs::exists(base_ + "/root"));
}

}  // namespace
}  // namespace cuttle
