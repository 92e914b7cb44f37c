// The ssh:// scheduler against the real sshd: the acceptance submit (exit 7 is Failed
// with exit code 7, strict host-key checking), a vanished job is Error "lost" (never
// Completed), cancel ends the whole process group, one remote command per poll for all
// jobs, and a server killed mid-run: calls fail fast as transient "connection lost" and
// every job still resolves to its true final state once the server is back.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "adaptors/ssh/remote.h"
#include "adaptors/ssh/ssh_scheduler.h"
#include "cuttle/sandbox.h"
#include "tests/integration/ssh_test_env.h"
#include "tests/unit/free_port.h"

namespace cuttle {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cuttle::testing::job;

class SshSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CUTTLE_REQUIRE_SSHD();
    root_ = "/tmp/cuttle-ssh-scheduler-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!root_.empty()) fs::remove_all(root_, ignored);
  }

  SchedulerOptions options(std::map<std::string, std::string> extra = {}) {
    SchedulerOptions o;
    o.properties = ssh_test::properties();
    o.properties["sandbox.root"] = root_;
    o.properties["poll.interval"] = "300ms";
    o.properties["lost.grace"] = "2s";  // the vanished-job tests wait it out
    for (auto& [k, v] : extra) o.properties[k] = v;
    o.credential = ssh_test::credential();
    return o;
  }

  // The job's process group id, read from its marker on this (shared) disk.
  long pgid_of(Scheduler& scheduler, const std::string& id) {
    for (int i = 0; i < 100; ++i) {
      std::string text = ssh_test::read_file(root_ + "/" + id + "/.cuttle/pid");
      if (!text.empty()) return std::stol(text);
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "no pid marker for " << id << " " << to_string(scheduler.status(id).state);
    return 0;
  }

  std::string root_;
};

TEST_F(SshSchedulerTest, AcceptanceSubmitExitSevenIsFailedWithExitCodeSeven) {
  auto scheduler =
      open_scheduler(ssh_test::location(), options({{"ssh.hostkey.policy", "strict"}}));
  std::string id = scheduler->submit(job("/bin/sh", {"-c", "exit 7"}));
  JobStatus status = scheduler->wait_until_done(id, 60s);
  EXPECT_EQ(status.state, JobState::kFailed) << status.reason;
  ASSERT_TRUE(status.exit_code.has_value());
  EXPECT_EQ(*status.exit_code, 7);
}

// The remote search removes the partial sandboxes of the name it looks for (a crash inside
// Sandbox::create) and nobody else's.
TEST_F(SshSchedulerTest, FindByNameFindsTheSandboxAndRemovesThePartialsOfItsName) {
  auto scheduler = open_scheduler(ssh_test::location(), options());
  JobDescription d;
  d.executable = "true";
  d.name = "lost 'answer' $(x)";
  const std::string id = scheduler->submit(d);
  ASSERT_TRUE(scheduler->wait_until_done(id, 30s).done());
  const std::string mine = root_ + "/.c00000000001000000000" + Sandbox::partial_suffix(d.name);
  const std::string theirs = root_ + "/.c00000000002000000000" + Sandbox::partial_suffix("other");
  fs::create_directories(mine + "/.cuttle");
  fs::create_directories(theirs + "/.cuttle");
  EXPECT_EQ(scheduler->find_by_name(d.name), std::vector<std::string>{id});
  EXPECT_FALSE(fs::exists(mine));
  EXPECT_TRUE(fs::exists(theirs));
}

TEST_F(SshSchedulerTest, VanishedJobIsErrorLostNeverCompleted) {
  auto scheduler = open_scheduler(ssh_test::location(), options());
  std::string id = scheduler->submit(job("sleep", {"100"}));
  ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  long pgid = pgid_of(*scheduler, id);
  ASSERT_GT(pgid, 1);
  ASSERT_EQ(::kill(static_cast<pid_t>(-pgid), SIGKILL), 0);  // wrapper and job, no marker
  JobStatus status = scheduler->wait_until_done(id, 60s);
  EXPECT_EQ(status.state, JobState::kError) << to_string(status.state);
  EXPECT_EQ(status.reason, "lost");
}

TEST_F(SshSchedulerTest, CancelEndsTheWholeProcessGroup) {
  auto scheduler = open_scheduler(ssh_test::location(), options({{"cancel.grace", "2s"}}));
  std::string id = scheduler->submit(job("/bin/sh", {"-c", "sleep 100 & sleep 100 & wait"}));
  ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  long pgid = pgid_of(*scheduler, id);
  scheduler->cancel(id);
  JobStatus status = scheduler->wait_until_done(id, 30s);
  EXPECT_EQ(status.state, JobState::kCancelled) << status.reason;
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = ::kill(static_cast<pid_t>(-pgid), 0) != 0 && errno == ESRCH;
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(gone) << "processes of group " << pgid << " survived the cancel";
}

// Counts the remote commands the scheduler issues.
class CountingRunner : public ForwardingRunner {
 public:
  using ForwardingRunner::ForwardingRunner;
  CommandResult run(const std::vector<std::string>& argv, const CommandOptions& options) override {
    ++count;
    return ForwardingRunner::run(argv, options);
  }
  std::atomic<int> count{0};
};

TEST_F(SshSchedulerTest, OneRemoteCommandPerPollWhateverTheNumberOfJobs) {
  auto values = options().properties;
  detail::Remote remote = detail::open_remote(
      Location::parse(ssh_test::location()),
      Properties(detail::ssh_scheduler_property_descriptors(), values), ssh_test::credential());
  auto counting = std::make_shared<CountingRunner>(remote.runner);
  detail::SshSchedulerOptions opts = detail::SshSchedulerOptions::from(
      Properties(detail::ssh_scheduler_property_descriptors(), values));
  opts.poll_interval = 500ms;
  auto scheduler = detail::SshScheduler::create(Location::parse(ssh_test::location()),
                                                {counting, remote.files}, opts);
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(scheduler->submit(job("sleep", {"4"})));
  for (const auto& id : ids) ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  int before = counting->count;
  std::this_thread::sleep_for(2s);
  int polls = counting->count - before;
  // ~4 poll intervals in 2 s: one command each, not one per job (that would be 40).
  EXPECT_GE(polls, 1);
  EXPECT_LE(polls, 6);
  for (const auto& id : ids)
    EXPECT_EQ(scheduler->wait_until_done(id, 60s).state, JobState::kCompleted);
  // With nothing active the poll thread issues no command at all.
  before = counting->count;
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(counting->count - before, 0);
}

TEST_F(SshSchedulerTest, ServerKilledMidRunJobsStillResolveToTheirTrueFinalState) {
  const std::string script = ssh_test::env_script();
  ASSERT_FALSE(script.empty());
  // A server of this process's own: ctest -j runs this test's executor-off twin at the
  // same time, and sshd.sh knows an extra server by its name.
  const std::string port = std::to_string(cuttle::testing::free_port());
  const std::string name = "restart-" + std::to_string(::getpid());
  LocalRunner local;
  auto start_server = [&] {
    CommandResult r = local.run({script, "start-one", name, port});
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  };
  auto stop_server = [&] { local.run({script, "stop-one", name}); };
  start_server();
  // The restart server shares the test host key; trust it on its own port.
  const std::string known_hosts = root_ + "-known_hosts";
  std::string line = ssh_test::read_file(ssh_test::known_hosts());
  line = line.substr(line.find(' '), line.find('\n') - line.find(' '));
  ssh_test::write_file(known_hosts, "[127.0.0.1]:" + port + line + "\n");

  SchedulerOptions o = options({{"ssh.known_hosts", known_hosts},
                                {"ssh.connect.timeout", "3s"},
                                {"ssh.reconnect.backoff.max", "1s"}});
  const std::string location = "ssh://" + ssh_test::user() + "@127.0.0.1:" + port;
  auto scheduler = open_scheduler(location, o);
  std::string failed = scheduler->submit(job("/bin/sh", {"-c", "sleep 3; exit 5"}));
  std::string completed = scheduler->submit(job("/bin/sh", {"-c", "sleep 3"}));
  std::string vanished = scheduler->submit(job("sleep", {"100"}));
  for (const auto& id : {failed, completed, vanished}) {
    ASSERT_TRUE(scheduler->wait_until_running(id, 60s).running());
  }
  long vanished_group = pgid_of(*scheduler, vanished);

  stop_server();
  auto begin = std::chrono::steady_clock::now();
  try {
    scheduler->statuses({failed, completed});
    ADD_FAILURE() << "statuses succeeded with the server down";
  } catch (const ConnectionFailed& e) {
    EXPECT_TRUE(e.transient());
    EXPECT_NE(std::string(e.what()).find("connection lost"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 20s) << "a call hung with the server down";
  // Nothing was concluded from the outage.
  EXPECT_FALSE(scheduler->wait_until_done(failed, 1s).done());

  ::kill(static_cast<pid_t>(-vanished_group), SIGKILL);
  std::this_thread::sleep_for(4s);  // the other two finish while the server is down
  start_server();

  JobStatus f = scheduler->wait_until_done(failed, 60s);
  JobStatus c = scheduler->wait_until_done(completed, 60s);
  JobStatus v = scheduler->wait_until_done(vanished, 60s);
  stop_server();
  EXPECT_EQ(f.state, JobState::kFailed) << f.reason;
  EXPECT_EQ(f.exit_code, std::optional<int>(5));
  EXPECT_EQ(c.state, JobState::kCompleted) << c.reason;
  EXPECT_EQ(v.state, JobState::kError) << v.reason;
  EXPECT_EQ(v.reason, "lost");
  fs::remove(known_hosts);
}

// A remote file system whose reads break after the first chunk, as an SFTP session that
// drops in the middle of a stage-out does.
class BreakingReads : public ForwardingFileSystem {
 public:
  using ForwardingFileSystem::ForwardingFileSystem;
  std::unique_ptr<FileReader> open_read(const std::string& path) override {
    struct Reader : FileReader {
      std::unique_ptr<FileReader> inner;
      bool served = false;
      std::size_t read(char* buffer, std::size_t size) override {
        if (served) throw StagingFailed("read of the job's output: connection lost (injected)");
        served = true;
        return inner->read(buffer, size);
      }
    };
    auto reader = std::make_unique<Reader>();
    reader->inner = ForwardingFileSystem::open_read(path);
    ++opened;
    return reader;
  }
  std::atomic<int> opened{0};
};

TEST_F(SshSchedulerTest, StageOutBrokenMidCopyIsErrorAndLeavesNoPartialFile) {
  auto values = options({{"cleanup", "on-success"}}).properties;
  Properties properties(detail::ssh_scheduler_property_descriptors(), values);
  detail::Remote remote = detail::open_remote(Location::parse(ssh_test::location()), properties,
                                              ssh_test::credential());
  auto breaking = std::make_shared<BreakingReads>(remote.files);
  auto scheduler =
      detail::SshScheduler::create(Location::parse(ssh_test::location()), {remote.runner, breaking},
                                   detail::SshSchedulerOptions::from(properties));
  const std::string client = root_ + "-client";
  fs::create_directories(client);
  JobDescription d = job("/bin/sh", {"-c", "head -c 4000000 /dev/zero > out.bin"});
  d.stage_out = {{"out.bin", client + "/out.bin"}};
  std::string id = scheduler->submit(d);
  JobStatus status = scheduler->wait_until_done(id, 60s);
  EXPECT_EQ(status.state, JobState::kError) << status.reason;
  EXPECT_EQ(status.reason.rfind("stage-out failed: ", 0), 0u) << status.reason;
  EXPECT_NE(status.reason.find("connection lost (injected)"), std::string::npos) << status.reason;
  EXPECT_EQ(status.scheduler_info.count("stage_out_problems"), 1u);
  EXPECT_GE(breaking->opened.load(), 1);
  // The writer of a broken copy is discarded, never committed under the final name; the
  // sandbox stays (on-success cleanup: the job did not succeed) so the output can be
  // fetched by hand.
  EXPECT_FALSE(fs::exists(client + "/out.bin"));
  EXPECT_TRUE(fs::exists(root_ + "/" + id + "/out.bin"));
  std::error_code ignored;
  fs::remove_all(client, ignored);
}

}  // namespace
}  // namespace cuttle
