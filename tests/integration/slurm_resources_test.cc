// GPUs, node features, account and reservation against the real Slurm of tests/env/slurm.sh,
// whose node has two "tesla" GPUs as a GRES and the feature "ssd": what Slurm accepts runs
// with what was asked for; what it refuses is a CommandFailed carrying Slurm's own words.
#include <gtest/gtest.h>

#include "cuttle/cuttle.h"
#include "tests/integration/cli_fixture.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;

using testing::env;

// Fails in CI and skips elsewhere without a Slurm whose node has GPUs.
#define CUTTLE_REQUIRE_GPU_SLURM()                                                    \
  if (env("CUTTLE_TEST_SLURM_GPUS").empty()) {                                        \
    if (testing::in_ci())                                                             \
      FAIL() << "CUTTLE_TEST_SLURM_GPUS is not set: start "                           \
                "tests/env/slurm.sh";                                                 \
    GTEST_SKIP() << "CUTTLE_TEST_SLURM_GPUS is not set: start tests/env/slurm.sh (a " \
                    "Slurm with a gpu GRES)";                                         \
  }

class SlurmResources : public ::testing::Test {
 protected:
  void SetUp() override {
    CUTTLE_REQUIRE_GPU_SLURM();
    scheduler_ = open_scheduler("slurm://");
  }

  // A job that prints what Slurm gave it, its stdout copied back to out.txt.
  JobDescription printing_job() const {
    JobDescription d = testing::job(
        "/bin/sh",
        {"-c",
         "echo \"gpus=${CUDA_VISIBLE_DEVICES-none}\"; scontrol show job "
         "\"$SLURM_JOB_ID\" | tr ' ' '\\n' | grep -E '^(Account|TresPerNode|Features)='"});
    d.stdout_path = "out.txt";
    d.stage_out = {{"out.txt", dir_.path() + "/out.txt"}};
    return d;
  }

  std::string run(const JobDescription& d) {
    const std::string id = scheduler_->submit(d);
    const JobStatus status = scheduler_->wait_until_done(id, 120s);
    EXPECT_EQ(status.state, JobState::kCompleted) << status.reason;
    return testing::read_file(dir_.path() + "/out.txt");
  }

  // Slurm's refusal at submit: a CommandFailed naming sbatch, whose message carries what
  // Slurm said.
  void expect_refusal(const JobDescription& d, const std::string& slurm_says) {
    try {
      const std::string id = scheduler_->submit(d);
      scheduler_->cancel(id);
      ADD_FAILURE() << "Slurm accepted it";
    } catch (const CommandFailed& e) {
      EXPECT_EQ(e.argv().front(), "sbatch");
      EXPECT_NE(e.exit_code(), 0);
      EXPECT_NE(e.stderr_text().find(slurm_says), std::string::npos) << e.stderr_text();
      EXPECT_NE(std::string(e.what()).find(slurm_says), std::string::npos) << e.what();
    }
  }

  testing::TempDir dir_;
  std::shared_ptr<Scheduler> scheduler_;
};

TEST_F(SlurmResources, TypedGpuJobRunsWithTheGpusItAskedFor) {
  JobDescription d = printing_job();
  d.gpus = std::stoi(env("CUTTLE_TEST_SLURM_GPUS"));
  d.gpu_type = env("CUTTLE_TEST_SLURM_GPU_TYPE");
  const std::string out = run(d);
  EXPECT_NE(out.find("gpus=0,1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("TresPerNode=gres:gpu:" + d.gpu_type + ":2"), std::string::npos) << out;
}

TEST_F(SlurmResources, UntypedGpuJobGetsOneGpu) {
  JobDescription d = printing_job();
  d.gpus = 1;
  const std::string out = run(d);
  EXPECT_NE(out.find("gpus=0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("TresPerNode=gres:gpu:1"), std::string::npos) << out;
}

TEST_F(SlurmResources, AccountFeatureAndExclusiveAreAcceptedAndRecorded) {
  JobDescription d = printing_job();
  d.account = "cuttle-project";  // accounting is off here: Slurm records it, checks nothing
  d.constraints = {env("CUTTLE_TEST_SLURM_FEATURE")};
  // Accepted; its effect does not show here, where the partition's OverSubscribe=FORCE
  // wins over a job's --exclusive.
  d.exclusive_nodes = true;
  const std::string out = run(d);
  EXPECT_NE(out.find("Account=cuttle-project"), std::string::npos) << out;
  EXPECT_NE(out.find("Features=" + d.constraints[0]), std::string::npos) << out;
}

TEST_F(SlurmResources, MoreGpusThanTheNodeHasIsSlurmsRefusal) {
  JobDescription d = printing_job();
  d.gpus = std::stoi(env("CUTTLE_TEST_SLURM_GPUS")) + 1;
  expect_refusal(d, "Requested node configuration is not available");
}

TEST_F(SlurmResources, AGpuTypeTheNodeLacksIsSlurmsRefusal) {
  JobDescription d = printing_job();
  d.gpus = 1;
  d.gpu_type = "nosuchgpu";
  expect_refusal(d, "Requested node configuration is not available");
}

TEST_F(SlurmResources, AnUnknownReservationIsSlurmsRefusal) {
  JobDescription d = printing_job();
  d.reservation = "cuttle-no-such-reservation";
  expect_refusal(d, "Requested reservation is invalid");
}

TEST_F(SlurmResources, AnUnknownFeatureIsSlurmsRefusal) {
  JobDescription d = printing_job();
  d.constraints = {"cuttle-no-such-feature"};
  expect_refusal(d, "Invalid feature specification");
}

// torque:// over Slurm's Torque wrappers: sbatch reads the #PBS lines itself, and turns
// gpus= in the node request into Slurm's GRES and -A into the account.
TEST_F(SlurmResources, TorqueGpusAndAccountReachSlurmThroughItsTorqueWrappers) {
  if (env("CUTTLE_TEST_TORQUE").empty()) GTEST_SKIP() << "no Torque wrappers";
  scheduler_ = open_scheduler("torque://");
  JobDescription d = printing_job();
  d.gpus = std::stoi(env("CUTTLE_TEST_SLURM_GPUS"));
  d.account = "cuttle-torque";
  d.exclusive_nodes = true;
  const std::string out = run(d);
  EXPECT_NE(out.find("gpus=0,1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Account=cuttle-torque"), std::string::npos) << out;
}

// The same through the `cuttle` command's flags.
class SlurmResourcesCli : public CliTest {
 protected:
  void SetUp() override { CUTTLE_REQUIRE_GPU_SLURM(); }
};

TEST_F(SlurmResourcesCli, GpusAndConstraintFlagsReachSlurm) {
  const std::string out = dir_.path() + "/out.txt";
  auto r = cuttle({"submit", "--wait", "--gpus", env("CUTTLE_TEST_SLURM_GPU_TYPE") + ":2",
                   "--constraint", env("CUTTLE_TEST_SLURM_FEATURE"), "--account", "cuttle-cli",
                   "slurm://", "--", "/bin/sh", "-c",
                   "echo \"gpus=$CUDA_VISIBLE_DEVICES\" > '" + out + "'"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(testing::read_file(out), "gpus=0,1\n") << r.stderr_text;
}

}  // namespace
}  // namespace cuttle
