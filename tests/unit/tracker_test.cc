// Tracker: the current status first, then every change once and in order per job, on
// its own thread; listeners may call back into it; wait_idle() tells when all are final.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cuttle/tracker.h"
#include "internal/managed_scheduler.h"
#include "tests/unit/fake_scheduler.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;
using testing::FakeScheduler;

bool eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Records what the tracker delivered, per job, and on which thread.
class Recorder {
 public:
  Tracker::Listener listener() {
    return [this](const TrackedChange& change) {
      std::lock_guard<std::mutex> lock(mutex_);
      per_job_[change.status.id].push_back(change.status.state);
      schedulers_[change.status.id] = change.scheduler.get();
      threads_.insert(std::this_thread::get_id());
    };
  }
  std::vector<JobState> of(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return per_job_[id];
  }
  const Scheduler* scheduler_of(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return schedulers_[id];
  }
  std::set<std::thread::id> threads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<JobState>> per_job_;
  std::map<std::string, const Scheduler*> schedulers_;
  std::set<std::thread::id> threads_;
};

// One fake scheduler's jobs under a tracker, with a Recorder listening from the start.
class RecordedTracker : public ::testing::Test {
 protected:
  RecordedTracker() { tracker_.add_listener(recorder_.listener()); }

  std::shared_ptr<FakeScheduler> fake_ = std::make_shared<FakeScheduler>();
  Tracker tracker_;
  Recorder recorder_;
};

TEST_F(RecordedTracker, DeliversCurrentStatusFirstThenEveryChange) {
  std::string id = fake_->submit({});
  tracker_.watch(fake_, id);
  fake_->set(id, JobState::kRunning);
  fake_->set(id, JobState::kCompleted, 0);
  ASSERT_TRUE(tracker_.wait_idle(10s));
  EXPECT_EQ(recorder_.of(id),
            (std::vector<JobState>{JobState::kQueued, JobState::kRunning, JobState::kCompleted}));
  EXPECT_EQ(recorder_.scheduler_of(id), fake_.get());
  EXPECT_EQ(recorder_.threads().count(std::this_thread::get_id()), 0u);  // its own thread
}

TEST_F(RecordedTracker, RepeatedAndStaleObservationsAreNotDeliveredAgain) {
  std::string id = fake_->submit({});
  tracker_.watch(fake_, id);
  JobStatus running;
  running.id = id;
  running.state = JobState::kRunning;
  fake_->publish_raw(running);
  running.reason = "still running";  // a new observation, same state
  fake_->publish_raw(running);
  fake_->set(id, JobState::kCompleted, 0);
  ASSERT_TRUE(tracker_.wait_idle(10s));
  EXPECT_EQ(recorder_.of(id),
            (std::vector<JobState>{JobState::kQueued, JobState::kRunning, JobState::kCompleted}));
}

TEST_F(RecordedTracker, ManyJobsFromManyThreadsArriveInOrderPerJob) {
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) {
    ids.push_back(fake_->submit({}));
    tracker_.watch(fake_, ids.back());
  }
  EXPECT_EQ(tracker_.active(), 60u);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = t; i < ids.size(); i += 3) {
        fake_->set(ids[i], JobState::kRunning);
        fake_->set(ids[i], i % 2 ? JobState::kFailed : JobState::kCompleted, int(i % 2));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(tracker_.wait_idle(20s));
  EXPECT_EQ(tracker_.active(), 0u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    JobState final_state = i % 2 ? JobState::kFailed : JobState::kCompleted;
    EXPECT_EQ(recorder_.of(ids[i]),
              (std::vector<JobState>{JobState::kQueued, JobState::kRunning, final_state}))
        << ids[i];
  }
}

TEST(Tracker, ActiveCountsWatchedJobsUntilFinal) {
  auto fake = std::make_shared<FakeScheduler>();
  Tracker tracker;
  std::string a = fake->submit({});
  std::string b = fake->submit({});
  tracker.watch(fake, a);
  tracker.watch(fake, b);
  tracker.watch(fake, b);  // watching twice is one job
  EXPECT_EQ(tracker.active(), 2u);
  fake->set(a, JobState::kCancelled);
  EXPECT_FALSE(tracker.wait_idle(100ms));
  EXPECT_EQ(tracker.active(), 1u);
  fake->set(b, JobState::kCompleted, 0);
  EXPECT_TRUE(tracker.wait_idle(10s));
}

TEST_F(RecordedTracker, WatchingAFinishedJobDeliversItsFinalStatusOnce) {
  std::string id = fake_->submit({});
  fake_->set(id, JobState::kFailed, 3);
  tracker_.watch(fake_, id);
  ASSERT_TRUE(tracker_.wait_idle(10s));
  EXPECT_EQ(recorder_.of(id), std::vector<JobState>{JobState::kFailed});
}

TEST(Tracker, WatchingAnUnknownJobThrowsAndLeavesNothingActive) {
  auto fake = std::make_shared<FakeScheduler>();
  Tracker tracker;
  EXPECT_THROW(tracker.watch(fake, "no-such-job-$(id)"), NoSuchJob);
  EXPECT_EQ(tracker.active(), 0u);
  EXPECT_TRUE(tracker.wait_idle(1s));
}

TEST(Tracker, SameIdOnTwoSchedulersIsTwoJobs) {
  auto one = std::make_shared<FakeScheduler>();
  auto two = std::make_shared<FakeScheduler>();
  Tracker tracker;
  std::string id = one->submit({});
  ASSERT_EQ(two->submit({}), id);
  tracker.watch(one, id);
  tracker.watch(two, id);
  EXPECT_EQ(tracker.active(), 2u);
  one->set(id, JobState::kCompleted, 0);
  EXPECT_FALSE(tracker.wait_idle(100ms));
  two->set(id, JobState::kCompleted, 0);
  EXPECT_TRUE(tracker.wait_idle(10s));
}

TEST(Tracker, ListenersMayCallBackIntoTheTracker) {
  auto fake = std::make_shared<FakeScheduler>();
  Tracker tracker;
  std::string first = fake->submit({});
  std::string second = fake->submit({});
  std::atomic<int> calls{0};
  Tracker::ListenerId self = 0;
  Recorder recorder;
  self = tracker.add_listener([&](const TrackedChange& change) {
    ++calls;
    (void)tracker.active();
    if (change.status.id == first && change.status.done()) {
      tracker.watch(fake, second);  // watch another job from inside a listener
      tracker.add_listener(recorder.listener());
      tracker.remove_listener(self);  // and drop ourselves
    }
  });
  tracker.watch(fake, first);
  fake->set(first, JobState::kCompleted, 0);
  ASSERT_TRUE(eventually([&] { return tracker.active() == 1u; }));
  fake->set(second, JobState::kCompleted, 0);
  ASSERT_TRUE(tracker.wait_idle(10s));
  EXPECT_EQ(calls, 2);  // first: Queued, Completed; nothing after removing itself
  EXPECT_EQ(recorder.of(second).back(), JobState::kCompleted);
}

TEST(Tracker, RemovedListenerIsNotCalledAgain) {
  auto fake = std::make_shared<FakeScheduler>();
  Tracker tracker;
  std::atomic<int> calls{0};
  Tracker::ListenerId id = tracker.add_listener([&](const TrackedChange&) { ++calls; });
  std::string job = fake->submit({});
  tracker.watch(fake, job);
  fake->set(job, JobState::kRunning);
  ASSERT_TRUE(eventually([&] { return calls == 2; }));
  tracker.remove_listener(id);
  fake->set(job, JobState::kCompleted, 0);
  ASSERT_TRUE(tracker.wait_idle(10s));
  EXPECT_EQ(calls, 2);
}

TEST(Tracker, FollowsRetriesOfAManagedScheduler) {
  auto fake = std::make_shared<FakeScheduler>();
  auto managed = detail::make_managed_scheduler(fake);
  Tracker tracker;
  std::mutex mutex;
  std::vector<std::pair<int, JobState>> seen;
  tracker.add_listener([&](const TrackedChange& change) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.emplace_back(change.status.attempt, change.status.state);
  });
  JobDescription description;
  description.executable = "true";
  description.retry_limit = 1;
  std::string id = managed->submit(description);
  tracker.watch(managed, id);
  fake->set(id, JobState::kRunning);
  fake->set(id, JobState::kFailed, 1);
  std::string second;
  for (int i = 0; i < 1000 && fake->submitted_ids().size() < 2; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(fake->submitted_ids().size(), 2u);
  fake->set(fake->submitted_ids()[1], JobState::kCompleted, 0);
  ASSERT_TRUE(tracker.wait_idle(10s));
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), std::make_pair(1, JobState::kQueued));
  EXPECT_EQ(seen.back(), std::make_pair(2, JobState::kCompleted));
  for (const auto& [attempt, state] : seen) EXPECT_NE(state, JobState::kFailed);
}

TEST(Tracker, DestroyingTheTrackerWhileJobsChangeIsSafe) {
  auto fake = std::make_shared<FakeScheduler>();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(fake->submit({}));
  std::atomic<bool> stop{false};
  std::thread changer;
  {
    Tracker tracker;
    tracker.add_listener([](const TrackedChange&) { std::this_thread::sleep_for(1ms); });
    for (const auto& id : ids) tracker.watch(fake, id);
    changer = std::thread([&] {
      for (const auto& id : ids) {
        if (stop) break;
        fake->set(id, JobState::kRunning);
      }
    });
    std::this_thread::sleep_for(5ms);
  }
  stop = true;
  changer.join();
  for (const auto& id : ids) fake->set(id, JobState::kCompleted, 0);  // nobody listens now
}

}  // namespace
}  // namespace cuttle
