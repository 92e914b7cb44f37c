// The local adaptor's process and record helpers: environment merging, /proc start
// times and job-key checks.
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "adaptors/local/detached_record.h"
#include "adaptors/local/process.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail::local {
namespace {

std::vector<std::string> entries(const Environment& environment) {
  std::vector<std::string> result;
  for (char* const* p = environment.envp(); *p; ++p) result.emplace_back(*p);
  return result;
}

TEST(LocalEnvironment, AdditionsReplaceInheritedValuesAndKeepTheRest) {
  ::setenv("CUTTLE_UNIT_KEEP", "kept", 1);
  ::setenv("CUTTLE_UNIT_REPLACE", "old", 1);
  // inherited() captured the environment earlier in another test maybe; build one fresh.
  Environment merged = Environment::inherited().with(
      {{"CUTTLE_UNIT_REPLACE", "new\n$(x)"}, {"CUTTLE_UNIT_ADD", ""}});
  auto all = entries(merged);
  int replace = 0;
  for (const auto& e : all) {
    if (e.rfind("CUTTLE_UNIT_REPLACE=", 0) == 0) {
      ++replace;
      EXPECT_EQ(e, "CUTTLE_UNIT_REPLACE=new\n$(x)");
    }
  }
  EXPECT_EQ(replace, 1);
  EXPECT_NE(std::find(all.begin(), all.end(), "CUTTLE_UNIT_ADD="), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), "PATH=" + std::string(std::getenv("PATH"))),
            all.end());
}

TEST(LocalProcess, StartTimeIsKnownForLiveProcessesOnly) {
  auto self = process_start_time(::getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(process_start_time(::getpid()), self);
  EXPECT_FALSE(process_start_time(999999999).has_value());
}

TEST(LocalProcess, MissingExecutableReportsEnoent) {
  SpawnSpec spec;
  spec.executable = "/nonexistent/program";
  spec.argv = {spec.executable};
  spec.environment = &Environment::inherited();
  EXPECT_EQ(spawn_process(spec), -ENOENT);
}

TEST(LocalProcess, ReapReportsExitCodeAndSignal) {
  SpawnSpec spec;
  spec.executable = "/bin/sh";
  spec.argv = {"/bin/sh", "-c", "exit 9"};
  spec.environment = &Environment::inherited();
  pid_t pid = spawn_process(spec);
  ASSERT_GT(pid, 0);
  int fd = open_pidfd(pid);
  ASSERT_GE(fd, 0);
  std::optional<ExitInfo> info;
  for (int i = 0; i < 500 && !info; ++i) {
    info = try_reap(fd);
    if (!info) ::usleep(10000);
  }
  ::close(fd);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->exit_code, 9);
  EXPECT_FALSE(info->signal.has_value());
  EXPECT_EQ(signal_name(15), "SIGTERM");
}

TEST(LocalRecord, OnlyGeneratedKeysNameASandbox) {
  EXPECT_TRUE(is_job_key(new_job_key()));
  EXPECT_FALSE(is_job_key(""));
  EXPECT_FALSE(is_job_key(".."));
  EXPECT_FALSE(is_job_key("../c00000000000000000"));
  EXPECT_FALSE(is_job_key("c0000000000000000000G"));
  EXPECT_FALSE(is_job_key("C00000000000000000000"));
}

}  // namespace
}  // namespace cuttle::detail::local
