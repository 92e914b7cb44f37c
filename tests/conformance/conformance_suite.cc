// The conformance suite: what every Scheduler must do, written once against the public
// interface (open_scheduler). Output comes back by stage-out into a local scratch
// directory, and files on the target are probed by jobs, so the same tests run against
// local, ssh and batch targets.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/conformance/conformance.h"
#include "tests/conformance/image_scheduler.h"
#include "tests/conformance/suite_helpers.h"

namespace cuttle::conformance {
namespace {

using namespace std::chrono_literals;

// One parent for every scratch directory of this process, removed at exit.
const std::string& scratch_parent() {
  static const std::string parent = [] {
    char pattern[] = "/tmp/cuttle-conformance-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (!made) throw std::runtime_error("mkdtemp failed");
    std::string path = made;
    static std::string removed = path;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(removed, ignored);
    });
    return path;
  }();
  return parent;
}

// Splits "a\0b\0" into {"a", "b"}.
std::vector<std::string> split_nul(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\0') {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// Collects what a listener sees.
class Recorder {
 public:
  void record(const JobStatus& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.push_back(status);
    changed_.notify_all();
  }
  std::vector<JobStatus> for_job(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<JobStatus> result;
    for (const auto& s : seen_) {
      if (s.id == id) result.push_back(s);
    }
    return result;
  }
  bool wait_final(const std::string& id, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const auto& s : seen_) {
        if (s.id == id && s.done()) return true;
      }
      return false;
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<JobStatus> seen_;
};

}  // namespace

void PrintTo(const Target& target, std::ostream* os) { *os << target.location; }

void ConformanceTest::SetUp() {
  if (target().require) {
    target().require();
    if (IsSkipped() || HasFatalFailure()) return;
  }
  scratch_ = scratch_parent() + "/" + unique_name("t");
  std::filesystem::create_directories(scratch_);
  scheduler_ = open();
}

std::shared_ptr<Scheduler> ConformanceTest::open(const std::map<std::string, std::string>& extra) {
  SchedulerOptions options;
  options.properties = target().properties;
  for (const auto& [key, value] : extra) options.properties[key] = value;
  options.credential = target().credential;
  std::shared_ptr<Scheduler> scheduler = open_scheduler(target().location, options);
  if (target().container_image.empty()) return scheduler;
  return std::make_shared<ImageScheduler>(std::move(scheduler), target().container_image,
                                          target().container_runtime);
}

namespace {

// Helpers shared by the tests below, over the fixture's scheduler and scratch directory.
class Harness {
 public:
  Harness(std::shared_ptr<Scheduler>& scheduler, const Target& target, const std::string& scratch)
      : scheduler_(scheduler), target_(target), scratch_(scratch) {}

  std::chrono::milliseconds timeout() const { return target_.job_timeout; }

  JobStatus run(const JobDescription& description) {
    std::string id = scheduler_->submit(description);
    JobStatus status = scheduler_->wait_until_done(id, timeout());
    EXPECT_TRUE(status.done()) << "job " << id << " did not finish within the job timeout";
    return status;
  }

  struct Captured {
    JobStatus status;
    std::string out;
    std::string err;
  };

  // Runs the job in its sandbox with stdout/stderr to files that stage-out brings back.
  Captured run_captured(JobDescription description) {
    const std::string out = scratch_ + "/" + unique_name("out-");
    const std::string err = scratch_ + "/" + unique_name("err-");
    description.stdout_path = "cuttle-out.txt";
    description.stderr_path = "cuttle-err.txt";
    description.stage_out.push_back({"cuttle-out.txt", out});
    description.stage_out.push_back({"cuttle-err.txt", err});
    Captured captured;
    captured.status = run(description);
    captured.out = read_file(out);
    captured.err = read_file(err);
    return captured;
  }

  // A directory on the target for this test's files (created there by a job).
  const std::string& target_dir() {
    if (target_dir_.empty()) {
      if (target_.scratch_dir.empty()) {
        target_dir_ = scratch_;
      } else {
        target_dir_ = target_.scratch_dir + "/" + unique_name("t");
        EXPECT_EQ(run(job("mkdir", {"-p", target_dir_})).state, JobState::kCompleted);
      }
    }
    return target_dir_;
  }

  // Whether `path` exists on the target, asked by a job (a container target: looked up
  // here, since a job in a container sees only /work and its image).
  bool target_exists(const std::string& path) {
    if (!target_.container_image.empty()) return local_exists(path);
    JobStatus status = run(job("test", {"-e", path}));
    EXPECT_TRUE(status.state == JobState::kCompleted || status.state == JobState::kFailed)
        << to_string(status.state) << " " << status.reason;
    return status.state == JobState::kCompleted;
  }

 private:
  std::shared_ptr<Scheduler>& scheduler_;
  const Target& target_;
  const std::string& scratch_;
  std::string target_dir_;
};

#define CUTTLE_REQUIRE_STAGING() \
  if (!target().supports_staging) GTEST_SKIP() << "the target does not stage files"

}  // namespace

std::vector<std::string> carried_hostile_strings(const Target& target, const std::string& canary) {
  std::vector<std::string> all = hostile_strings(canary);
  const bool json_argv = target.container_runtime == ContainerRuntime::kPodman ||
                         target.container_runtime == ContainerRuntime::kDocker;
  if (!target.utf8_only && !json_argv) return all;
  std::vector<std::string> kept;
  for (const std::string& s : all) {
    try {
      (void)nlohmann::json(s).dump();
      kept.push_back(s);
    } catch (const nlohmann::json::exception&) {
      // not UTF-8
    }
  }
  return kept;
}

namespace {

#define CUTTLE_REQUIRE_SHARED_FILES() \
  if (!target().shared_files) GTEST_SKIP() << "each job has a file system of its own"

// A job in a container runs in /work and sees none of the host's paths.
#define CUTTLE_REQUIRE_HOST_PATHS(why) \
  if (!target().container_image.empty()) GTEST_SKIP() << "in a container: " << why

TEST_P(ConformanceTest, SubmitAndWaitReportsCompleted) {
  std::string id = scheduler_->submit(job("true"));
  EXPECT_FALSE(id.empty());
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(status.id, id);
  ASSERT_TRUE(status.exit_code.has_value());
  EXPECT_EQ(*status.exit_code, 0);
  EXPECT_TRUE(status.done());
  EXPECT_EQ(scheduler_->status(id).state, JobState::kCompleted);
}

TEST_P(ConformanceTest, NonZeroExitIsFailedWithExitCode) {
  std::string id = scheduler_->submit(job("/bin/sh", {"-c", "exit 3"}));
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(status.state, JobState::kFailed) << status.reason;
  ASSERT_TRUE(status.exit_code.has_value());
  EXPECT_EQ(*status.exit_code, 3);
}

TEST_P(ConformanceTest, HostileArgumentsArriveByteForByte) {
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_STAGING();
  const std::string canary = h.target_dir() + "/canary-args";
  std::vector<std::string> hostile = carried_hostile_strings(target(), canary);
  std::vector<std::string> arguments{"%s\\000"};
  arguments.insert(arguments.end(), hostile.begin(), hostile.end());
  Harness::Captured result = h.run_captured(job("printf", arguments));
  ASSERT_EQ(result.status.state, JobState::kCompleted) << result.status.reason << result.err;
  EXPECT_EQ(split_nul(result.out), hostile);
  EXPECT_FALSE(h.target_exists(canary)) << "an argument was evaluated by a shell";
}

TEST_P(ConformanceTest, HostileEnvironmentValuesArriveByteForByte) {
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_STAGING();
  const std::string canary = h.target_dir() + "/canary-env";
  std::vector<std::string> hostile = carried_hostile_strings(target(), canary);
  JobDescription d = job("env", {"-0"});
  std::map<std::string, std::string> expected;
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    expected["CUTTLE_HOSTILE_" + std::to_string(i)] = hostile[i];
  }
  d.environment = expected;
  Harness::Captured result = h.run_captured(d);
  ASSERT_EQ(result.status.state, JobState::kCompleted) << result.status.reason << result.err;
  std::map<std::string, std::string> seen;
  for (const std::string& entry : split_nul(result.out)) {
    auto equals = entry.find('=');
    if (entry.rfind("CUTTLE_HOSTILE_", 0) == 0 && equals != std::string::npos) {
      seen[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
  }
  EXPECT_EQ(seen, expected);
  EXPECT_FALSE(h.target_exists(canary)) << "an environment value was evaluated by a shell";
}

TEST_P(ConformanceTest, EnvironmentIsAddedToTheInheritedOne) {
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_STAGING();
  JobDescription d = job("/bin/sh", {"-c", "printf '%s|%s' \"$CUTTLE_ADDED\" \"${PATH:+set}\""});
  d.environment = {{"CUTTLE_ADDED", "yes"}};
  Harness::Captured result = h.run_captured(d);
  ASSERT_EQ(result.status.state, JobState::kCompleted) << result.status.reason << result.err;
  EXPECT_EQ(result.out, "yes|set");
}

TEST_P(ConformanceTest, WorkingDirectoryIsHonoured) {
  CUTTLE_REQUIRE_HOST_PATHS("the working directory is /work (a working_directory is refused)");
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_SHARED_FILES();
  const std::string wd = h.target_dir() + "/work dir 'q' $(x)";
  ASSERT_EQ(h.run(job("mkdir", {"-p", wd})).state, JobState::kCompleted);
  JobDescription d = job("/bin/sh", {"-c", "echo here > marker"});
  d.working_directory = wd;
  JobStatus status = h.run(d);
  EXPECT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_TRUE(h.target_exists(wd + "/marker"));
}

TEST_P(ConformanceTest, StdinIsRedirected) {
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_STAGING();
  const std::string input = scratch_ + "/stdin source.txt";
  const std::string content =
      std::string("first line\n$(not run) `x` 'q'\n\xff\x01 binary\0nul", 40);
  write_file(input, content);
  JobDescription d = job("cat");
  d.stage_in.push_back({input, "in.txt"});
  d.stdin_path = "in.txt";
  Harness::Captured result = h.run_captured(d);
  ASSERT_EQ(result.status.state, JobState::kCompleted) << result.status.reason << result.err;
  EXPECT_EQ(result.out, content);
}

TEST_P(ConformanceTest, CancelRunningJobIsCancelled) {
  std::string id = scheduler_->submit(job("sleep", {"60"}));
  JobStatus running = scheduler_->wait_until_running(id, target().job_timeout);
  ASSERT_TRUE(running.running() || running.done()) << to_string(running.state);
  auto begin = std::chrono::steady_clock::now();
  scheduler_->cancel(id);
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(status.state, JobState::kCancelled) << status.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 30s) << "cancel did not end the job";
}

TEST_P(ConformanceTest, CancelOfFinishedJobIsNoOp) {
  std::string id = scheduler_->submit(job("true"));
  JobStatus done = scheduler_->wait_until_done(id, target().job_timeout);
  ASSERT_EQ(done.state, JobState::kCompleted);
  JobStatus after = scheduler_->cancel(id);
  EXPECT_EQ(after.state, JobState::kCompleted);
  EXPECT_EQ(scheduler_->status(id).state, JobState::kCompleted);
}

TEST_P(ConformanceTest, CancelTwiceIsNoOp) {
  std::string id = scheduler_->submit(job("sleep", {"60"}));
  scheduler_->wait_until_running(id, target().job_timeout);
  scheduler_->cancel(id);
  EXPECT_NO_THROW(scheduler_->cancel(id));
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(status.state, JobState::kCancelled) << status.reason;
  EXPECT_EQ(scheduler_->cancel(id).state, JobState::kCancelled);
}

TEST_P(ConformanceTest, UnknownJobThrowsNoSuchJob) {
  for (const std::string& id : {std::string("no-such-job"), std::string("../../etc/passwd"),
                                std::string("c00000000000000000000"), std::string("a/b"),
                                std::string("$(touch x)"), std::string("99999999")}) {
    EXPECT_THROW(scheduler_->status(id), NoSuchJob) << id;
    EXPECT_THROW(scheduler_->cancel(id), NoSuchJob) << id;
    EXPECT_THROW(scheduler_->wait_until_done(id, 100ms), NoSuchJob) << id;
  }
}

TEST_P(ConformanceTest, InvalidDescriptionNamesTheField) {
  auto field_of = [&](const JobDescription& d) -> std::string {
    try {
      scheduler_->submit(d);
    } catch (const InvalidJobDescription& e) {
      return e.field();
    }
    return "<accepted>";
  };
  EXPECT_EQ(field_of(job("")), "executable");
  EXPECT_EQ(field_of(job("true", {"ok", std::string("nul\0byte", 8)})), "arguments[1]");
  JobDescription bad_env = job("true");
  bad_env.environment = {{"BAD NAME", "x"}};
  EXPECT_EQ(field_of(bad_env).rfind("environment", 0), 0u);
  JobDescription bad_retry = job("true");
  bad_retry.retry_limit = -1;
  EXPECT_EQ(field_of(bad_retry), "retry_limit");
  JobDescription bad_runtime = job("true");
  bad_runtime.max_runtime = std::chrono::seconds(0);
  EXPECT_EQ(field_of(bad_runtime), "max_runtime");
  JobDescription bad_stage = job("true");
  bad_stage.stage_in.push_back({"", "x"});
  EXPECT_EQ(field_of(bad_stage), "stage_in[0].source");
}

TEST_P(ConformanceTest, StatusesOfManyJobsInOneCall) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(scheduler_->submit(job("true")));
  std::vector<JobStatus> statuses = scheduler_->statuses(ids);
  ASSERT_EQ(statuses.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(statuses[i].id, ids[i]);
  for (const auto& id : ids) {
    EXPECT_EQ(scheduler_->wait_until_done(id, target().job_timeout).state, JobState::kCompleted);
  }
  statuses = scheduler_->statuses(ids);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(statuses[i].id, ids[i]);
    EXPECT_EQ(statuses[i].state, JobState::kCompleted);
  }
}

TEST_P(ConformanceTest, StatusAnswersNameUnknownIdsAndAnswerTheOthers) {
  const std::string a = scheduler_->submit(job("true"));
  const std::string b = scheduler_->submit(job("true"));
  const std::vector<std::string> ids = {"99999999", a, "$(touch x)", b, "c00000000000000000000"};
  std::vector<StatusAnswer> answers = scheduler_->status_answers(ids);
  ASSERT_EQ(answers.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(answers[i].id, ids[i]);
    const bool known = ids[i] == a || ids[i] == b;
    ASSERT_EQ(answers[i].status.has_value(), known) << ids[i] << ": " << answers[i].missing;
    if (known) {
      EXPECT_EQ(answers[i].status->id, ids[i]);
    } else {
      EXPECT_EQ(answers[i].missing.rfind("no such job: " + ids[i], 0), 0u) << answers[i].missing;
    }
  }
  for (const auto& id : {a, b}) scheduler_->wait_until_done(id, target().job_timeout);
}

TEST_P(ConformanceTest, WaitUntilDoneTimesOutWithStatus) {
  std::string id = scheduler_->submit(job("sleep", {"30"}));
  auto begin = std::chrono::steady_clock::now();
  JobStatus status = scheduler_->wait_until_done(id, 300ms);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 250ms);
  EXPECT_FALSE(status.done()) << to_string(status.state);
  EXPECT_EQ(status.id, id);
  scheduler_->cancel(id);
  EXPECT_EQ(scheduler_->wait_until_done(id, target().job_timeout).state, JobState::kCancelled);
}

TEST_P(ConformanceTest, WaitUntilRunningTimesOutWithStatus) {
  if (target().one_slot_properties.empty()) GTEST_SKIP() << "no way to keep a job queued";
  auto one_slot = open(target().one_slot_properties);
  std::string blocker = one_slot->submit(job("sleep", {"30"}));
  one_slot->wait_until_running(blocker, target().job_timeout);
  std::string waiting = one_slot->submit(job("true"));
  auto begin = std::chrono::steady_clock::now();
  JobStatus status = one_slot->wait_until_running(waiting, 300ms);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 250ms);
  EXPECT_FALSE(status.running() || status.done()) << to_string(status.state);
  EXPECT_EQ(status.state, JobState::kQueued);
  one_slot->cancel(blocker);
  EXPECT_EQ(one_slot->wait_until_done(waiting, target().job_timeout).state, JobState::kCompleted);
}

TEST_P(ConformanceTest, CancelOfQueuedJobIsCancelled) {
  if (target().one_slot_properties.empty()) GTEST_SKIP() << "no way to keep a job queued";
  auto one_slot = open(target().one_slot_properties);
  std::string blocker = one_slot->submit(job("sleep", {"30"}));
  std::string waiting = one_slot->submit(job("true"));
  one_slot->cancel(waiting);
  EXPECT_EQ(one_slot->wait_until_done(waiting, target().job_timeout).state, JobState::kCancelled);
  one_slot->cancel(blocker);
  EXPECT_EQ(one_slot->wait_until_done(blocker, target().job_timeout).state, JobState::kCancelled);
}

TEST_P(ConformanceTest, StageInAndOutRoundTrip) {
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_STAGING();
  const std::string source = scratch_ + "/in put $(x) 'q'.txt";
  const std::string tree = scratch_ + "/tree";
  std::filesystem::create_directories(tree + "/inner");
  write_file(source, std::string("payload\n\xff\x00 end", 13));
  write_file(tree + "/inner/leaf.txt", "leaf\n");
  const std::string back = scratch_ + "/back 'x' $(y).txt";
  JobDescription d = job("/bin/sh", {"-c",
                                     "mkdir -p out && cat 'sub/dir/in.txt' > out/result.txt && "
                                     "cat staged/inner/leaf.txt >> out/result.txt"});
  d.stage_in = {{source, "sub/dir/in.txt"}, {tree, "staged"}};
  d.stage_out = {{"out/result.txt", back}};
  JobStatus status = h.run(d);
  EXPECT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(read_file(back), std::string("payload\n\xff\x00 end", 13) + "leaf\n");
}

TEST_P(ConformanceTest, StageInPathEscapeIsRefused) {
  if (!target().supports_staging) GTEST_SKIP() << "the target does not stage files";
  const std::string source = scratch_ + "/escape-source.txt";
  write_file(source, "x");
  for (const std::string& destination : {std::string("../escape.txt"), std::string("/tmp/abs.txt"),
                                         std::string("a/../../escape.txt")}) {
    JobDescription d = job("true");
    d.stage_in.push_back({source, destination});
    try {
      scheduler_->submit(d);
      ADD_FAILURE() << "accepted stage-in destination " << destination;
    } catch (const InvalidJobDescription& e) {
      EXPECT_EQ(e.field(), "stage_in[0].destination") << destination;
    }
  }
  JobDescription out = job("true");
  out.stage_out.push_back({"../../escape.txt", scratch_ + "/never.txt"});
  try {
    scheduler_->submit(out);
    ADD_FAILURE() << "accepted an escaping stage-out source";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "stage_out[0].source");
  }
  EXPECT_FALSE(local_exists(scratch_ + "/never.txt"));
}

TEST_P(ConformanceTest, StageOutSymlinkEscapeIsRefused) {
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_STAGING();
  const std::string back = scratch_ + "/leaked.txt";
  JobDescription d = job("ln", {"-s", "/etc/passwd", "link.txt"});
  d.stage_out.push_back({"link.txt", back});
  JobStatus status = h.run(d);
  EXPECT_TRUE(status.done());
  EXPECT_FALSE(local_exists(back)) << "a symlink out of the sandbox was followed";
  EXPECT_TRUE(status.error.has_value()) << "the refused entry was not reported";
}

TEST_P(ConformanceTest, StdoutStagedOutEvenWhenJobFails) {
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_STAGING();
  Harness::Captured result =
      h.run_captured(job("/bin/sh", {"-c", "echo partial; echo oops >&2; exit 5"}));
  EXPECT_EQ(result.status.state, JobState::kFailed);
  ASSERT_TRUE(result.status.exit_code.has_value());
  EXPECT_EQ(*result.status.exit_code, 5);
  EXPECT_EQ(result.out, "partial\n");
  EXPECT_EQ(result.err, "oops\n");
}

TEST_P(ConformanceTest, MaxRuntimeEndsJobExpired) {
  JobDescription d = job("sleep", {"60"});
  d.max_runtime = std::chrono::seconds(1);
  auto begin = std::chrono::steady_clock::now();
  std::string id = scheduler_->submit(d);
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(status.state, JobState::kExpired) << status.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 40s);
}

TEST_P(ConformanceTest, RetryLimitResubmitsFailedAttempts) {
  JobDescription d = job("/bin/sh", {"-c", "exit 3"});
  d.retry_limit = 2;
  std::string id = scheduler_->submit(d);
  JobStatus status = scheduler_->wait_until_done(id, target().job_timeout * 3);
  EXPECT_EQ(status.id, id);
  EXPECT_EQ(status.state, JobState::kFailed) << status.reason;
  EXPECT_EQ(status.attempt, 3);
  ASSERT_EQ(status.attempts.size(), 2u);
  for (std::size_t i = 0; i < status.attempts.size(); ++i) {
    EXPECT_EQ(status.attempts[i].attempt, static_cast<int>(i) + 1);
    EXPECT_EQ(status.attempts[i].state, JobState::kFailed);
    EXPECT_EQ(status.attempts[i].exit_code, std::optional<int>(3));
  }
}

TEST_P(ConformanceTest, RetryStopsAtTheFirstSuccess) {
  CUTTLE_REQUIRE_HOST_PATHS("the attempts' shared flag file is a host path");
  Harness h(scheduler_, target(), scratch_);
  CUTTLE_REQUIRE_SHARED_FILES();
  const std::string flag = h.target_dir() + "/retry flag";
  JobDescription d =
      job("/bin/sh", {"-c", "if [ -e \"$1\" ]; then exit 0; fi; : > \"$1\"; exit 1", "sh", flag});
  d.retry_limit = 3;
  std::string id = scheduler_->submit(d);
  JobStatus status = scheduler_->wait_until_done(id, h.timeout() * 3);
  EXPECT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(status.attempt, 2);
  ASSERT_EQ(status.attempts.size(), 1u);
  EXPECT_EQ(status.attempts[0].state, JobState::kFailed);
}

TEST_P(ConformanceTest, ListenerSeesFinalState) {
  Recorder recorder;
  auto subscription = scheduler_->subscribe([&](const JobStatus& s) { recorder.record(s); });
  std::string id = scheduler_->submit(job("/bin/sh", {"-c", "exit 4"}));
  scheduler_->wait_until_done(id, target().job_timeout);
  ASSERT_TRUE(recorder.wait_final(id, 10s)) << "the listener never saw a final state";
  std::vector<JobStatus> seen = recorder.for_job(id);
  EXPECT_EQ(seen.back().state, JobState::kFailed);
  EXPECT_EQ(seen.back().exit_code, std::optional<int>(4));
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_TRUE(is_valid_transition(seen[i - 1].state, seen[i].state))
        << to_string(seen[i - 1].state) << " -> " << to_string(seen[i].state);
  }
  subscription.reset();
}

TEST_P(ConformanceTest, JobsListsSubmittedJobs) {
  std::string id = scheduler_->submit(job("true"));
  scheduler_->wait_until_done(id, target().job_timeout);
  std::vector<std::string> ids = scheduler_->jobs();
  EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end());
}

TEST_P(ConformanceTest, FindByNameFindsTheJob) {
  JobDescription d = job("true");
  d.name = unique_name("conformance name $(x) '");
  std::string id = scheduler_->submit(d);
  scheduler_->wait_until_done(id, target().job_timeout);
  try {
    std::vector<std::string> found = scheduler_->find_by_name(d.name);
    EXPECT_EQ(found, std::vector<std::string>{id});
  } catch (const Unsupported&) {
    GTEST_SKIP() << "find_by_name is not supported";
  }
}

TEST_P(ConformanceTest, DetachedJobSurvivesSchedulerObject) {
  Harness h(scheduler_, target(), scratch_);
  if (!target().detached) GTEST_SKIP() << "jobs do not survive their scheduler object";
  CUTTLE_REQUIRE_STAGING();
  const std::string out = scratch_ + "/detached-out.txt";
  JobDescription d = job("/bin/sh", {"-c", "sleep 1; echo survived"});
  d.name = unique_name("detached-");
  d.stdout_path = "out.txt";
  d.stage_out.push_back({"out.txt", out});
  std::string id;
  {
    auto first = open();
    id = first->submit(d);
  }
  scheduler_.reset();
  auto second = open();
  JobStatus now = second->status(id);
  EXPECT_TRUE(now.running() || now.done() || now.state == JobState::kQueued)
      << to_string(now.state);
  JobStatus status = second->wait_until_done(id, h.timeout());
  EXPECT_EQ(status.state, JobState::kCompleted) << status.reason;
  EXPECT_EQ(read_file(out), "survived\n");
  std::vector<std::string> listed = second->jobs();
  EXPECT_NE(std::find(listed.begin(), listed.end(), id), listed.end());
  EXPECT_EQ(second->find_by_name(d.name), std::vector<std::string>{id});
}

TEST_P(ConformanceTest, DetachedJobCanBeCancelledFromAnotherSchedulerObject) {
  if (!target().detached) GTEST_SKIP() << "jobs do not survive their scheduler object";
  std::string id;
  {
    auto first = open();
    id = first->submit(job("sleep", {"60"}));
    first->wait_until_running(id, target().job_timeout);
  }
  auto second = open();
  second->cancel(id);
  JobStatus status = second->wait_until_done(id, target().job_timeout);
  EXPECT_EQ(status.state, JobState::kCancelled) << status.reason;
  auto third = open();
  EXPECT_EQ(third->status(id).state, JobState::kCancelled);
}

}  // namespace
}  // namespace cuttle::conformance

namespace cuttle::conformance {

std::vector<std::string> hostile_strings(const std::string& canary) {
  const char* root = std::getenv("CUTTLE_SOURCE_DIR");
  const std::string path =
      std::string(root ? root : CUTTLE_SOURCE_DIR_FALLBACK) + "/tests/data/hostile_strings.txt";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    std::string value;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '\\' || i + 1 == line.size()) {
        value += line[i];
        continue;
      }
      const char next = line[++i];
      if (next == 'n') value += '\n';
      if (next == 't') value += '\t';
      if (next == '\\') value += '\\';
      if (next == 'x' && i + 2 < line.size()) {
        value += static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16));
        i += 2;
      }
      // "\e" is the empty value: nothing to add.
    }
    for (std::size_t at; (at = value.find("{canary}")) != std::string::npos;) {
      value.replace(at, 8, canary);
    }
    values.push_back(value);
  }
  return values;
}

std::string process_scratch_root(const std::string& tag) {
  // The set of roots is constructed before the exit handler is registered, so it
  // outlives the handler that reads it.
  static std::mutex mutex;
  static std::vector<std::string> roots;
  static const bool registered = std::atexit([] {
                                   for (const auto& root : roots) {
                                     std::error_code ignored;
                                     std::filesystem::remove_all(root, ignored);
                                   }
                                 }) == 0;
  (void)registered;
  std::string root = "/tmp/cuttle-" + tag + "-conformance-" + std::to_string(::getpid());
  std::lock_guard lock(mutex);
  if (std::find(roots.begin(), roots.end(), root) == roots.end()) roots.push_back(root);
  return root;
}

}  // namespace cuttle::conformance
