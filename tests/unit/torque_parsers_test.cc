// Torque parsers: qstat -x XML written to the documented Torque 4-6 format with a job in
// every state, and qstat -f / qstat -Q / qsub captured from Slurm's Torque wrappers
// (adaptors/torque/testdata/README says where each came from).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adaptors/torque/torque_dialect.h"
#include "adaptors/torque/torque_parsers.h"
#include "cuttle/error.h"
#include "tests/unit/test_util.h"

namespace cuttle::detail::torque {
namespace {

std::string fixture(const std::string& name) {
  return cuttle::testing::read_testdata("adaptors/torque/testdata", name);
}

std::map<std::string, NativeJob> by_name(const std::vector<NativeJob>& jobs) {
  std::map<std::string, NativeJob> out;
  for (const NativeJob& j : jobs) out[j.name] = j;
  return out;
}

TEST(TorqueQstatXml, EveryStateMaps) {
  auto jobs = by_name(parse_qstat_xml(fixture("qstat_x_all_states.xml")));
  ASSERT_EQ(jobs.size(), 13u);
  EXPECT_EQ(jobs["queued.c0000000000000000000a"].state, JobState::kQueued);
  EXPECT_EQ(jobs["queued.c0000000000000000000a"].id, "101.tq-server.example.org");
  EXPECT_EQ(jobs["queued.c0000000000000000000a"].info["Resource_List.mem"], "1536mb");
  EXPECT_EQ(jobs["held"].state, JobState::kQueued);
  EXPECT_EQ(jobs["held"].reason, "held");
  EXPECT_EQ(jobs["waiting"].state, JobState::kQueued);
  EXPECT_EQ(jobs["transit"].state, JobState::kQueued);
  EXPECT_EQ(jobs["running.c0000000000000000000b"].state, JobState::kRunning);
  EXPECT_TRUE(jobs["running.c0000000000000000000b"].started);
  EXPECT_EQ(jobs["running.c0000000000000000000b"].time_limit, std::chrono::seconds(3600));
  EXPECT_EQ(jobs["suspended"].state, JobState::kRunning);
  EXPECT_EQ(jobs["exiting"].state, JobState::kRunning) << "E is exiting, not an error";
  EXPECT_EQ(jobs["exiting"].reason, "exiting");
  EXPECT_EQ(jobs["completed-ok"].state, JobState::kCompleted);
  EXPECT_EQ(jobs["completed-ok"].exit_code, 0);
  EXPECT_TRUE(jobs["completed-ok"].finished);
  EXPECT_EQ(jobs["completed-exit-5"].state, JobState::kFailed);
  EXPECT_EQ(jobs["completed-exit-5"].exit_code, 5);
  EXPECT_EQ(jobs["walltime-exceeded"].state, JobState::kExpired);
  EXPECT_EQ(jobs["qdel-killed"].state, JobState::kFailed);
  EXPECT_EQ(jobs["qdel-killed"].exit_code, 128 + 15);
  EXPECT_EQ(jobs["exec-failed"].state, JobState::kError);
  EXPECT_EQ(jobs["a & b <c> $(x) `y`"].queue, "long queue");
}

TEST(TorqueQstatXml, MalformedXmlIsAClearError) {
  EXPECT_THROW(parse_qstat_xml("<Data><Job><Job_Id>1</Job_Id>"), InternalError);
  EXPECT_TRUE(parse_qstat_xml("").empty());
}

TEST(TorqueQstatFull, SlurmWrapperOutputParses) {
  const auto jobs = parse_qstat_full(fixture("qstat_f_slurm_wrapper.txt"));
  ASSERT_GE(jobs.size(), 4u);
  bool saw_completed = false, saw_running = false, saw_queued = false;
  for (const NativeJob& j : jobs) {
    EXPECT_FALSE(j.id.empty());
    if (j.native_state == "C") {
      saw_completed = true;
      EXPECT_FALSE(j.state) << "C without exit_status: the marker decides";
      EXPECT_TRUE(j.exit_code_from_marker);
    }
    saw_running = saw_running || j.native_state == "R";
    saw_queued = saw_queued || j.native_state == "Q";
  }
  EXPECT_TRUE(saw_completed);
  EXPECT_TRUE(saw_running);
  EXPECT_TRUE(saw_queued);
}

TEST(TorqueQstatFull, ContinuationLinesJoinTheirValue) {
  const std::string text =
      "Job Id: 7.server\n    Job_Name = long\n    job_state = C\n    exit_status = 3\n"
      "    Output_Path = host:/a/very/long/\n\tpath/o.txt\n";
  const auto jobs = parse_qstat_full(text);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].state, JobState::kFailed);
  EXPECT_EQ(jobs[0].exit_code, 3);
}

// Found by tests/fuzz/fuzz_torque: a year far from now overflowed the clock (UB).
TEST(TorqueQstatFull, TimesOutsideTheClockRangeAreLeftUnset) {
  const auto jobs = parse_qstat_full(
      "Job Id: 7.s\n    job_state = R\n    qtime = Mon Nov 23 00:23:58 1013\n"
      "    start_time = 99999999999999\n");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].submitted, std::nullopt);
  EXPECT_EQ(jobs[0].started, std::nullopt);
}

TEST(TorqueQsub, IdFromTorqueAndFromTheSlurmWrapper) {
  EXPECT_EQ(parse_qsub("123.tq-server.example.org\n"), "123.tq-server.example.org");
  EXPECT_FALSE(parse_qsub(fixture("qsub_slurm_wrapper.txt")).empty());
  EXPECT_THROW(parse_qsub("qsub: submit error (Unauthorized Request)\n"), InternalError);
}

TEST(TorqueQueues, TorqueAndWrapperLayouts) {
  auto queues = parse_qstat_queues(fixture("qstat_Q_torque.txt"));
  ASSERT_EQ(queues.size(), 2u);
  EXPECT_EQ(queues[0].name, "batch");
  EXPECT_EQ(queues[0].state, "up");
  EXPECT_EQ(queues[1].state, "down");
  queues = parse_qstat_queues(fixture("qstat_Q_slurm_wrapper.txt"));
  ASSERT_EQ(queues.size(), 1u);
  EXPECT_EQ(queues[0].name, "debug");
  EXPECT_TRUE(queues[0].is_default);
}

TEST(TorqueDirectives, MemoryCarriesItsUnitAndHostileValuesAreQuotedOrRefused) {
  TorqueDialect d;
  JobDescription job;
  job.executable = "/bin/true";
  job.memory_bytes = 1536ull << 20;
  job.nodes = 2;
  job.tasks = 4;
  job.max_runtime = std::chrono::seconds(3725);
  job.queue = "q x";
  DirectiveContext c{"n.c00000000000000000001", "/w", "/o", "/e"};
  const std::string text = d.render_directives(job, c);
  EXPECT_NE(text.find("#PBS -N n.c00000000000000000001\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#PBS -l mem=3072mb\n"), std::string::npos) << "per node x nodes, with unit";
  EXPECT_NE(text.find("#PBS -l nodes=2:ppn=2\n"), std::string::npos);
  EXPECT_NE(text.find("#PBS -l walltime=1:02:05\n"), std::string::npos);
  EXPECT_NE(text.find("#PBS -q 'q x'\n"), std::string::npos);
  job.scheduler_arguments = {"-l feature=$(x)"};
  EXPECT_THROW(d.render_directives(job, c), InvalidJobDescription);
  job.scheduler_arguments = {"-W x\n#PBS -u root"};
  EXPECT_THROW(d.render_directives(job, c), InvalidJobDescription);
}

TEST(TorqueDialectStatus, FallsBackToQstatFWhenXIsUnknown) {
  TorqueDialect d;
  EXPECT_EQ(d.status_argv({"1", "2"}), (std::vector<std::string>{"qstat", "-x", "1", "2"}));
  EXPECT_TRUE(d.fall_back_status({2, "", "Unknown option: x\nUsage:\n"}));
  EXPECT_EQ(d.status_argv({"1", "2"}), (std::vector<std::string>{"qstat", "-f", "1", "2"}));
  EXPECT_FALSE(d.fall_back_status({2, "", "Unknown option: x\n"}));
}

TEST(TorqueClassify, IdempotentQdelAndControllerDown) {
  TorqueDialect d;
  EXPECT_EQ(d.classify({"qdel", "7"}, {1, "", ""}), CommandOutcome::kUnknownJob);
  EXPECT_EQ(d.classify({"qdel", "7.s"}, {153, "", "qdel: Unknown Job Id 7.s\n"}),
            CommandOutcome::kUnknownJob);
  EXPECT_EQ(d.classify({"qstat", "-f", "7"}, {153, "", ""}), CommandOutcome::kUnknownJob);
  EXPECT_EQ(d.classify({"qstat", "-f"}, {255, "", "Problem loading jobs.\n"}),
            CommandOutcome::kSchedulerDown);
  EXPECT_EQ(d.classify({"qstat"}, {1, "", "Cannot connect to default server host 'x'\n"}),
            CommandOutcome::kSchedulerDown);
  EXPECT_EQ(d.canonical_id("123.server.example.org"), "123");
}

}  // namespace
}  // namespace cuttle::detail::torque
