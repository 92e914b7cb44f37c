// Container jobs through every adaptor, against real runtimes: podman (rootful, the test
// configuration of tests/env/podman.sh) on local:// attached and detached, over ssh://
// and inside Slurm jobs; Charliecloud's ch-run with the busybox directory image inside
// real Slurm and Torque jobs. The reference's example (an input directory prestaged to
// /work/input, `ls > /work/output/workls.txt`, the listing back here), exit codes, the
// runtime's own failures, cancel and max_runtime leaving no container, hostile input.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuttle/cuttle.h"
#include "tests/integration/container_test_env.h"
#include "tests/integration/ssh_test_env.h"
#include "tests/unit/free_port.h"

namespace cuttle {
namespace {

using container_test::Env;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct Target {
  std::string name;
  std::string location;
  std::map<std::string, std::string> properties;
  Credential credential;
  ContainerRuntime runtime = ContainerRuntime::kPodman;
  std::string program = "podman";  // what the test needs on PATH
  std::string requires_env;        // the tests/env export that says the server is up
};

void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

std::string image_for(const Target& target) {
  return target.runtime == ContainerRuntime::kCharliecloud ? Env::get().rootfs()
                                                           : Env::podman_image();
}

// A private sshd from this source tree's tests/env/sshd.sh, started with this process's
// CONTAINERS_CONF / CONTAINERS_STORAGE_CONF so that podman over SSH uses the test
// configuration (the shared server may have been started before them). Stopped at exit.
class PodmanSshd {
 public:
  static PodmanSshd& get() {
    static PodmanSshd server;
    return server;
  }
  const std::string& problem() const { return problem_; }
  std::string location() const {
    return "ssh://" + ssh_test::user() + "@127.0.0.1:" + std::to_string(port_);
  }
  const std::string& known_hosts() const { return known_hosts_; }

  ~PodmanSshd() {
    if (port_ == 0) return;
    LocalRunner().run({"sh", script_, "stop-one", name_});
    std::filesystem::remove(known_hosts_);
  }

 private:
  // One per test process: ctest -j runs several at once, and sshd.sh knows an extra
  // server by its name (a second start of a running name reuses the first's server).
  const std::string name_ = "cuttle-container-test-" + std::to_string(::getpid());

  PodmanSshd() {
    const char* source = std::getenv("CUTTLE_SOURCE_DIR");
    if (ssh_test::port().empty() || source == nullptr) {
      problem_ = "no test sshd: run eval \"$(tests/env/sshd.sh start)\" first";
      return;
    }
    Env::get();  // exports the podman configuration the server passes on
    script_ = std::string(source) + "/tests/env/sshd.sh";
    const int port = testing::free_port();
    CommandResult started =
        LocalRunner().run({"sh", script_, "start-one", name_, std::to_string(port)});
    if (started.exit_code != 0) {
      problem_ = "sshd.sh start-one failed: " + started.stderr_text;
      return;
    }
    port_ = port;
    // The same host key as the shared server's, named for this port.
    std::string key = container_test::read_file("/tmp/cuttle-env/sshd/host_ed25519.pub");
    key = key.substr(0, key.find(' ', key.find(' ') + 1));
    known_hosts_ = "/tmp/cuttle-env/sshd/known_hosts-" + std::to_string(::getpid());
    container_test::write_file(known_hosts_,
                               "[127.0.0.1]:" + std::to_string(port) + " " + key + "\n");
  }

  std::string script_;
  int port_ = 0;
  std::string known_hosts_;
  std::string problem_;
};

class ContainerJobTest : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    const Target& t = GetParam();
    CUTTLE_REQUIRE_CONTAINER_ENV(t.program);
    if (!t.requires_env.empty() && std::getenv(t.requires_env.c_str()) == nullptr) {
      if (container_test::in_ci()) FAIL() << t.requires_env << " is not set";
      GTEST_SKIP() << t.requires_env << " is not set: start tests/env first";
    }
    std::string location = t.location;
    std::map<std::string, std::string> properties = t.properties;
    properties["sandbox.root"] = root_.path() + "/sandboxes";
    if (t.location == "ssh") {
      PodmanSshd& sshd = PodmanSshd::get();
      if (!sshd.problem().empty()) {
        if (container_test::in_ci()) FAIL() << sshd.problem();
        GTEST_SKIP() << sshd.problem();
      }
      location = sshd.location();
      properties["ssh.known_hosts"] = sshd.known_hosts();
      properties["ssh.config"] = "none";
    }
    // Sandboxes must be readable by the container's root and by ch-run's caller.
    std::filesystem::permissions(root_.path(), std::filesystem::perms::all);
    scheduler_ = open_scheduler(location, {properties, t.credential});
  }

  JobDescription job(std::vector<std::string> shell_line_and_args) {
    JobDescription d;
    d.executable = "/bin/sh";
    d.arguments = {"-c"};
    d.arguments.insert(d.arguments.end(), shell_line_and_args.begin(), shell_line_and_args.end());
    d.container_image = image_for(GetParam());
    d.container.runtime = GetParam().runtime;
    return d;
  }

  JobStatus run(const JobDescription& d) {
    const std::string id = scheduler_->submit(d);
    return scheduler_->wait_until_done(id, 120s);
  }

  // Whether anything of the job's container is left: its name in `podman ps -a`, or any
  // live process on this machine that has the job's sandbox mounted at /work (the
  // container's processes for podman — which may outlive their `podman ps` entry —, the
  // job itself for ch-run).
  // Empty when nothing is left, else what is.
  std::string leftover(const std::string& sandbox) {
    const std::string key = std::filesystem::path(sandbox).filename().string();
    std::string left;
    if (GetParam().runtime == ContainerRuntime::kPodman) {
      CommandResult listed = LocalRunner().run(
          {"podman", "ps", "--all", "--quiet", "--filter", "name=^cuttle-" + key + "$"});
      EXPECT_EQ(listed.exit_code, 0) << listed.stderr_text;
      if (!listed.stdout_text.empty()) left = "cuttle-" + key + " in podman ps -a; ";
    }
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string pid = entry.path().filename().string();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      const std::string stat = container_test::read_file(entry.path().string() + "/stat");
      const std::size_t paren = stat.rfind(')');
      if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z')
        continue;
      std::istringstream mounts(container_test::read_file(entry.path().string() + "/mountinfo"));
      for (std::string line; std::getline(mounts, line);) {
        if (line.find(key) != std::string::npos && line.find(" /work ") != std::string::npos) {
          left += "process " + pid + " with the sandbox at /work; ";
          break;
        }
      }
    }
    return left;
  }

  // ch-run execs the job, so nothing but the job's own processes can be left; the
  // wrapper's escalation records the end and then KILLs the process group, so those
  // vanish just after the record (docs/containers.md). podman's container is removed
  // before the record is written.
  std::string left_after_end(const std::string& sandbox) {
    std::string left = leftover(sandbox);
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (GetParam().runtime == ContainerRuntime::kCharliecloud && !left.empty() &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(100ms);
      left = leftover(sandbox);
    }
    return left;
  }

  // Starts a job that ignores TERM (so only the escalation ends it) and records its pid.
  std::pair<std::string, std::string> start_stubborn(JobDescription d) {
    const std::string id = scheduler_->submit(d);
    JobStatus running = scheduler_->wait_until_running(id, 120s);
    EXPECT_TRUE(running.running() || running.done()) << running.reason;
    const std::string sandbox = running.scheduler_info["sandbox"];
    EXPECT_FALSE(sandbox.empty());
    for (int i = 0; i < 600 && !std::filesystem::exists(sandbox + "/pid"); ++i) {
      std::this_thread::sleep_for(50ms);
    }
    return {id, sandbox};
  }

  testing::TempDir root_;
  std::shared_ptr<Scheduler> scheduler_;
};

TEST_P(ContainerJobTest, TheReferenceExampleListsTheStagedInputBackHere) {
  testing::TempDir here;
  std::filesystem::create_directories(here.path() + "/input");
  container_test::write_file(here.path() + "/input/a.txt", "a");
  container_test::write_file(here.path() + "/input/b.txt", "b");
  JobDescription d = job({"cd /work/input; ls > /work/output/workls.txt"});
  d.stage_in = {{here.path() + "/input", "input"}};
  d.stage_out = {{"output/workls.txt", here.path() + "/workls.txt"}};
  JobStatus done = run(d);
  ASSERT_EQ(done.state, JobState::kCompleted) << done.reason << " " << done.error.value_or("");
  EXPECT_EQ(container_test::read_file(here.path() + "/workls.txt"), "a.txt\nb.txt\n");
}

TEST_P(ContainerJobTest, TheJobsExitCodePassesThrough) {
  JobStatus done = run(job({"exit 7"}));
  EXPECT_EQ(done.state, JobState::kFailed) << done.reason << " " << done.error.value_or("");
  EXPECT_EQ(done.exit_code, 7);
}

TEST_P(ContainerJobTest, AMissingImageIsAnErrorNamingTheImageAndTheRuntimesMessage) {
  JobDescription d = job({"true"});
  d.container_image = GetParam().runtime == ContainerRuntime::kCharliecloud
                          ? root_.path() + "/no-such-image"
                          : "localhost/cuttle-no-such-image:latest";
  JobStatus done = run(d);
  EXPECT_EQ(done.state, JobState::kError) << done.reason;
  EXPECT_THAT(done.error.value_or(""), HasSubstr(d.container_image));
  EXPECT_THAT(done.error.value_or(""), HasSubstr(GetParam().program + ": "));
}

TEST_P(ContainerJobTest, CancelLeavesNoContainer) {
  auto [id, sandbox] = start_stubborn(job({"trap '' TERM; echo $$ > /work/pid; sleep 300"}));
  JobStatus cancelled = scheduler_->cancel(id);
  JobStatus done = scheduler_->wait_until_done(id, 120s);
  EXPECT_EQ(done.state, JobState::kCancelled) << done.reason << " " << cancelled.reason;
  EXPECT_EQ(left_after_end(sandbox), "");
}

TEST_P(ContainerJobTest, MaxRuntimeLeavesNoContainer) {
  JobDescription d = job({"trap '' TERM; echo $$ > /work/pid; sleep 300"});
  d.max_runtime = 3s;
  auto [id, sandbox] = start_stubborn(d);
  JobStatus done = scheduler_->wait_until_done(id, 120s);
  EXPECT_EQ(done.state, JobState::kExpired) << done.reason;
  EXPECT_EQ(left_after_end(sandbox), "");
}

TEST_P(ContainerJobTest, HostileEnvironmentValuesArriveVerbatim) {
  testing::TempDir here;
  const std::string value = "it's \"$(touch /work/pwned)\" `id` $HOME\nline two; exit 3 \\";
  JobDescription d = job({"printf %s \"$CUTTLE_V\" > /work/v.txt; ls /work"});
  d.environment = {{"CUTTLE_V", value}};
  d.stage_out = {{"v.txt", here.path() + "/v.txt"}, {"stdout.txt", here.path() + "/ls.txt"}};
  JobStatus done = run(d);
  ASSERT_EQ(done.state, JobState::kCompleted) << done.reason << " " << done.error.value_or("");
  EXPECT_EQ(container_test::read_file(here.path() + "/v.txt"), value);
  EXPECT_THAT(container_test::read_file(here.path() + "/ls.txt"),
              ::testing::Not(HasSubstr("pwned")));
}

TEST_P(ContainerJobTest, HostileImagesAndMountsAreRefusedNamingTheField) {
  JobDescription d = job({"true"});
  d.container_image = "busybox; touch /tmp/pwned";
  EXPECT_THROW(
      {
        try {
          scheduler_->submit(d);
        } catch (const InvalidJobDescription& e) {
          EXPECT_THAT(e.what(), HasSubstr("container_image"));
          throw;
        }
      },
      InvalidJobDescription);
  d = job({"true"});
  d.container.mounts = {{"/tmp/$(id)\n", "/ref"}};
  EXPECT_THROW(scheduler_->submit(d), InvalidJobDescription);
  d = job({"true"});
  d.container.mounts = {{"/tmp", "/work/x"}};
  EXPECT_THROW(scheduler_->submit(d), InvalidJobDescription);
}

TEST_P(ContainerJobTest, AMissingRuntimeIsUnsupportedAtSubmitNamingTheHost) {
  JobDescription d = job({"true"});
  d.container.runtime = ContainerRuntime::kApptainer;  // not packaged for Debian 12
  try {
    scheduler_->submit(d);
    FAIL() << "an image with no runtime was accepted";
  } catch (const Unsupported& e) {
    // "container.runtime: no container runtime on HOST (looked for apptainer on PATH)"
    EXPECT_THAT(e.what(),
                ::testing::ContainsRegex("container.runtime: .* on [^ ]+ \\(looked for apptainer"));
  }
  const std::string sandboxes = root_.path() + "/sandboxes";
  EXPECT_TRUE(!std::filesystem::exists(sandboxes) || std::filesystem::is_empty(sandboxes))
      << "a refused submit left a sandbox behind";
}

Target target(std::string name, std::string location, std::map<std::string, std::string> properties,
              ContainerRuntime runtime, std::string requires_env = "") {
  Target t;
  t.name = std::move(name);
  t.location = std::move(location);
  t.properties = std::move(properties);
  t.properties["cancel.grace"] = "2s";
  t.runtime = runtime;
  t.program = runtime == ContainerRuntime::kCharliecloud ? "ch-run" : "podman";
  t.requires_env = std::move(requires_env);
  return t;
}

std::vector<Target> targets() {
  const auto podman = ContainerRuntime::kPodman;
  const auto charliecloud = ContainerRuntime::kCharliecloud;
  const std::map<std::string, std::string> batch = {{"poll.interval.min", "250ms"},
                                                    {"poll.interval.max", "1s"}};
  std::vector<Target> t;
  t.push_back(target("LocalAttachedPodman", "local://", {}, podman));
  t.push_back(target("LocalDetachedPodman", "local://", {{"mode", "detached"}}, podman));
  t.push_back(target("SshPodman", "ssh", {{"poll.interval", "250ms"}}, podman));
  t.back().credential = Credential::key(ssh_test::key());
  t.push_back(target("SlurmPodman", "slurm://", batch, podman, "CUTTLE_TEST_SLURM"));
  t.push_back(target("SlurmCharliecloud", "slurm://", batch, charliecloud, "CUTTLE_TEST_SLURM"));
  t.push_back(target("TorqueCharliecloud", "torque://", batch, charliecloud, "CUTTLE_TEST_TORQUE"));
  // The batch CLI over SSH: the runtime is probed on the login node through the session.
  std::map<std::string, std::string> over_ssh = batch;
  over_ssh.insert({{"ssh.known_hosts", ssh_test::known_hosts()}, {"ssh.config", "none"}});
  t.push_back(
      target("SlurmSshCharliecloud",
             "slurm+ssh://" + ssh_test::user() + "@" + ssh_test::host() + ":" + ssh_test::port(),
             over_ssh, charliecloud, "CUTTLE_TEST_SLURM"));
  t.back().credential = Credential::key(ssh_test::key());
  return t;
}

INSTANTIATE_TEST_SUITE_P(Adaptors, ContainerJobTest, ::testing::ValuesIn(targets()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace cuttle
