// The launch part of the conformance suite (issue 14, point 4, docs/launchers.md): a clean
// environment, modules, pre/post-launch scripts and a launcher shape how the command starts,
// on every adaptor whose job runs in a shell on the host; the others refuse them naming the
// field. A failed launch is an Error naming the field and the host, never the command's exit.
#include <cstdlib>
#include <filesystem>

#include "tests/conformance/conformance.h"
#include "tests/conformance/suite_helpers.h"

namespace cuttle::conformance {
namespace {

// Lmod from Debian's `lmod` package (scripts/install-deps.sh); the modules part needs it.
bool lmod_installed() { return std::filesystem::exists("/etc/profile.d/lmod.sh"); }

std::string modulefiles() {
  const char* source = std::getenv("CUTTLE_SOURCE_DIR");
  return std::string(source ? source : CUTTLE_SOURCE_DIR_FALLBACK) + "/tests/modulefiles";
}

JobDescription env_job(const std::string& out) {
  JobDescription d;
  d.executable = "/bin/sh";
  d.arguments = {"-c", "env; exit 3"};
  d.stdout_path = out;
  return d;
}

TEST_P(ConformanceTest, LaunchFieldsShapeTheCommandOrAreRefusedNamingThem) {
  if (!target().container_image.empty()) GTEST_SKIP() << "launch fields shape host commands";
  // Set in the submitting process: the job must not see it with inherit_environment false
  // (slurm: sbatch would pass it on; ssh: the session's SSH_CONNECTION is the host's own).
  ::setenv("LAUNCH_SUBMITTER_SECRET", "leaked", 1);
  // A hostile directory name: the scripts' paths reach `.` byte for byte.
  const std::string dir = scratch_ + "/it's a $(touch x) \"dir\"\nline";
  std::filesystem::create_directories(dir);
  write_file(dir + "/pre.sh", "LAUNCH_PRE=from-pre; export LAUNCH_PRE\n");
  write_file(dir + "/post.sh", "echo \"$LAUNCH_PRE\" > \"$LAUNCH_DIR/post-ran\"; exit 9\n");
  JobDescription d = env_job(scratch_ + "/out");
  d.pre_launch = dir + "/pre.sh";
  d.post_launch = dir + "/post.sh";
  d.inherit_environment = false;
  d.environment = {{"LAUNCH_DIR", dir}};
  if (lmod_installed()) {
    d.modules = {"cuttle-test"};
    d.environment["MODULEPATH"] = modulefiles();
  }
  const Capabilities capabilities = scheduler_->capabilities();
  if (!capabilities.launch || !capabilities.clean_environment) {
    try {
      scheduler_->cancel(scheduler_->submit(d));
      ADD_FAILURE() << "launch fields were accepted though capabilities say they are not";
    } catch (const Unsupported& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.substr(0, message.find(':')), "pre_launch") << message;
    }
    GTEST_SKIP() << "launch fields are refused";
  }
  const JobStatus s = scheduler_->wait_until_done(scheduler_->submit(d), target().job_timeout);
  // The command's exit code, whatever post_launch returned.
  EXPECT_EQ(s.state, JobState::kFailed) << s.reason;
  EXPECT_EQ(s.exit_code, 3);
  const std::string env = read_file(scratch_ + "/out");
  EXPECT_NE(env.find("LAUNCH_PRE=from-pre\n"), std::string::npos) << env;
  EXPECT_NE(env.find("LAUNCH_DIR=" + dir + "\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("LAUNCH_SUBMITTER_SECRET"), std::string::npos) << env;
  EXPECT_EQ(env.find("SSH_CONNECTION"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH=/usr/local/bin:/usr/bin:/bin\n"), std::string::npos) << env;
  if (lmod_installed()) {
    EXPECT_NE(env.find("LAUNCH_TEST_MODULE=loaded\n"), std::string::npos) << env;
  }
  EXPECT_EQ(read_file(dir + "/post-ran"), "from-pre\n") << "post_launch did not run after it";
  EXPECT_FALSE(local_exists(scratch_ + "/x")) << "a path was run as shell code";
  ::unsetenv("LAUNCH_SUBMITTER_SECRET");
}

TEST_P(ConformanceTest, LaunchFailuresAreErrorsNamingTheFieldAndTheHost) {
  if (!target().container_image.empty()) GTEST_SKIP() << "launch fields shape host commands";
  if (!scheduler_->capabilities().launch) GTEST_SKIP() << "launch fields are refused";
  // A host without the launcher: here mpirun is Slurm's mpiexec.slurm, so the job's PATH
  // leaves it out.
  JobDescription launcher = env_job(scratch_ + "/l");
  launcher.launcher = "mpirun";
  launcher.environment = {{"PATH", "/nonexistent"}};
  JobDescription script = env_job(scratch_ + "/s");
  script.pre_launch = scratch_ + "/no such script";
  JobDescription module = env_job(scratch_ + "/m");
  module.modules = {"cuttle-test", "no-such-module $(x)"};
  module.environment["MODULEPATH"] = modulefiles();
  std::vector<std::pair<std::string, std::string>> expected = {
      {scheduler_->submit(launcher), "launcher: mpirun is not installed (not on the PATH) on "},
      {scheduler_->submit(script), "pre_launch: " + scratch_ + "/no such script is not a"},
  };
  if (lmod_installed()) {
    expected.emplace_back(scheduler_->submit(module),
                          "modules: no-such-module $(x) did not load on ");
  }
  for (const auto& [id, reason] : expected) {
    const JobStatus s = scheduler_->wait_until_done(id, target().job_timeout);
    EXPECT_EQ(s.state, JobState::kError) << s.reason;
    EXPECT_EQ(s.reason.rfind(reason, 0), 0u) << s.reason;
    EXPECT_FALSE(s.reason.ends_with(" on")) << "the host is not named: " << s.reason;
  }
}

TEST_P(ConformanceTest, LaunchTheSchedulersLauncherStartsEveryTaskInsideTheAllocation) {
  if (!target().container_image.empty()) GTEST_SKIP() << "launch fields shape host commands";
  const bool slurm = target().location.starts_with("slurm");
  if (!slurm && !target().location.starts_with("torque")) {
    GTEST_SKIP() << "srun and mpiexec start tasks in a batch allocation";
  }
  // A script, not `sh -c CODE`: Slurm's mpiexec.slurm (the mpiexec of Slurm's Torque
  // wrappers) joins its arguments into a shell line unquoted (docs/launchers.md).
  const std::string task = scratch_ + "/task.sh";
  write_file(task, "#!/bin/sh\necho \"task $SLURM_PROCID\"\n");
  std::filesystem::permissions(task, std::filesystem::perms::owner_all);
  JobDescription d;
  d.executable = task;
  d.launcher = slurm ? "srun" : "mpiexec";
  d.tasks = 2;
  d.inherit_environment = false;  // srun must still start the tasks
  d.stdout_path = scratch_ + "/out";
  const JobStatus s = scheduler_->wait_until_done(scheduler_->submit(d), target().job_timeout);
  EXPECT_EQ(s.state, JobState::kCompleted) << s.reason;
  const std::string out = read_file(scratch_ + "/out");
  EXPECT_NE(out.find("task 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("task 1\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace cuttle::conformance
