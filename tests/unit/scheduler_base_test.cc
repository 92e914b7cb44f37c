// SchedulerBase: monotonic transitions per attempt, waits woken by publish(), and
// listeners that can be dropped at any time (even mid-call, even from inside).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <thread>

#include "tests/unit/fake_scheduler.h"

namespace cuttle {
namespace {

using namespace std::chrono_literals;
using testing::FakeScheduler;

JobStatus make(const std::string& id, JobState state, int attempt = 1) {
  JobStatus status;
  status.id = id;
  status.state = state;
  status.attempt = attempt;
  return status;
}

// A one-shot gate a listener can block on.
class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(SchedulerBase, ForwardTransitionsAreAccepted) {
  FakeScheduler s;
  EXPECT_EQ(s.publish_raw(make("j", JobState::kQueued)).state, JobState::kQueued);
  EXPECT_EQ(s.publish_raw(make("j", JobState::kRunning)).state, JobState::kRunning);
  EXPECT_EQ(s.publish_raw(make("j", JobState::kCompleted)).state, JobState::kCompleted);
}

TEST(SchedulerBase, BackwardTransitionIsDroppedAndCachedStatusReturned) {
  FakeScheduler s;
  s.publish_raw(make("j", JobState::kRunning));
  EXPECT_EQ(s.publish_raw(make("j", JobState::kQueued)).state, JobState::kRunning);
  EXPECT_EQ(s.cached("j")->state, JobState::kRunning);
}

TEST(SchedulerBase, FinalStateIsNeverLeft) {
  FakeScheduler s;
  s.publish_raw(make("j", JobState::kCompleted));
  EXPECT_EQ(s.publish_raw(make("j", JobState::kRunning)).state, JobState::kCompleted);
  EXPECT_EQ(s.publish_raw(make("j", JobState::kFailed)).state, JobState::kCompleted);
}

TEST(SchedulerBase, NewAttemptStartsOverAndOlderAttemptIsStale) {
  FakeScheduler s;
  s.publish_raw(make("j", JobState::kFailed, 1));
  EXPECT_EQ(s.publish_raw(make("j", JobState::kQueued, 2)).state, JobState::kQueued);
  JobStatus stale = make("j", JobState::kRunning, 1);
  JobStatus now = s.publish_raw(stale);
  EXPECT_EQ(now.state, JobState::kQueued);
  EXPECT_EQ(now.attempt, 2);
}

TEST(SchedulerBase, RepeatedObservationDoesNotCallListenersAgain) {
  FakeScheduler s;
  std::atomic<int> calls{0};
  auto sub = s.subscribe([&](const JobStatus&) { ++calls; });
  s.publish_raw(make("j", JobState::kRunning));
  s.publish_raw(make("j", JobState::kRunning));
  EXPECT_EQ(calls, 1);
  JobStatus with_reason = make("j", JobState::kRunning);
  with_reason.reason = "node n1";
  s.publish_raw(with_reason);
  EXPECT_EQ(calls, 2);
}

TEST(SchedulerBase, ObservationWithoutTimesKeepsTheKnownOnes) {
  FakeScheduler s;
  JobStatus running = make("j", JobState::kRunning);
  running.started = Clock::now();
  s.publish_raw(running);
  JobStatus done = make("j", JobState::kCompleted);
  EXPECT_EQ(s.publish_raw(done).started, running.started);
}

TEST(SchedulerBase, ActiveIdsListsOnlyNonFinalJobs) {
  FakeScheduler s;
  s.publish_raw(make("a", JobState::kRunning));
  s.publish_raw(make("b", JobState::kCompleted));
  s.publish_raw(make("c", JobState::kQueued));
  EXPECT_EQ(s.active_ids(), (std::vector<std::string>{"a", "c"}));
}

TEST(SchedulerBase, WaitUntilDoneWakesWhenAnotherThreadFinishesTheJob) {
  FakeScheduler s;
  std::string id = s.submit({});
  auto waiter = std::async(std::launch::async, [&] { return s.wait_until_done(id, 30s); });
  std::this_thread::sleep_for(20ms);
  s.set(id, JobState::kRunning);
  s.set(id, JobState::kFailed, 2);
  JobStatus status = waiter.get();
  EXPECT_EQ(status.state, JobState::kFailed);
  EXPECT_EQ(status.exit_code, 2);
}

TEST(SchedulerBase, WaitUntilRunningReturnsOnRunningOrFinal) {
  FakeScheduler s;
  std::string a = s.submit({});
  std::string b = s.submit({});
  auto wait_a = std::async(std::launch::async, [&] { return s.wait_until_running(a, 30s); });
  auto wait_b = std::async(std::launch::async, [&] { return s.wait_until_running(b, 30s); });
  s.set(a, JobState::kRunning);
  s.set(b, JobState::kCancelled);
  EXPECT_TRUE(wait_a.get().running());
  EXPECT_EQ(wait_b.get().state, JobState::kCancelled);
}

TEST(SchedulerBase, WaitReturnsLatestStatusOnTimeoutWithoutThrowing) {
  FakeScheduler s;
  std::string id = s.submit({});
  JobStatus status = s.wait_until_done(id, 50ms);
  EXPECT_EQ(status.state, JobState::kQueued);
  EXPECT_FALSE(status.done());
}

TEST(SchedulerBase, WaitOnUnknownJobThrowsNoSuchJob) {
  FakeScheduler s;
  EXPECT_THROW(s.wait_until_done("no-such-$(id)", 50ms), NoSuchJob);
}

TEST(SchedulerBase, ForgottenFinishedJobLeavesTheTable) {
  FakeScheduler s;
  s.publish_raw(make("j", JobState::kCompleted));
  s.forget("j");
  EXPECT_FALSE(s.cached("j"));
  EXPECT_THROW(s.status("j"), NoSuchJob);  // the fake keeps no durable record
}

TEST(SchedulerBase, ForgetKeepsAnActiveJobAndItsWaiters) {
  FakeScheduler s;
  std::string id = s.submit({});
  auto waiter = std::async(std::launch::async, [&] { return s.wait_until_done(id, 30s); });
  std::this_thread::sleep_for(20ms);
  s.forget(id);
  ASSERT_TRUE(s.cached(id));
  s.publish_raw(make(id, JobState::kCompleted));
  EXPECT_EQ(waiter.get().state, JobState::kCompleted);
}

TEST(SchedulerBase, DroppedSubscriptionIsNeverCalledAgain) {
  FakeScheduler s;
  std::atomic<int> calls{0};
  auto sub = s.subscribe([&](const JobStatus&) { ++calls; });
  s.publish_raw(make("j", JobState::kQueued));
  sub.reset();
  s.publish_raw(make("j", JobState::kRunning));
  EXPECT_EQ(calls, 1);
}

TEST(SchedulerBase, DroppingSubscriptionWaitsForARunningListener) {
  FakeScheduler s;
  Gate entered, release;
  std::atomic<bool> listener_finished{false};
  auto sub = s.subscribe([&](const JobStatus&) {
    entered.open();
    release.wait();
    listener_finished = true;
  });
  std::thread publisher([&] { s.publish_raw(make("j", JobState::kRunning)); });
  entered.wait();
  std::atomic<bool> dropped{false};
  std::thread dropper([&] {
    sub.reset();
    dropped = true;
    // The listener's captures may be destroyed now: it must have finished.
    EXPECT_TRUE(listener_finished.load());
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(dropped.load());
  release.open();
  dropper.join();
  publisher.join();
  EXPECT_TRUE(dropped.load());
}

TEST(SchedulerBase, ListenerMayDropItsOwnSubscription) {
  FakeScheduler s;
  std::shared_ptr<Subscription> sub;
  std::atomic<int> calls{0};
  sub = s.subscribe([&](const JobStatus&) {
    ++calls;
    sub.reset();  // would deadlock if removal waited for this very call
  });
  s.publish_raw(make("j", JobState::kQueued));
  s.publish_raw(make("j", JobState::kRunning));
  EXPECT_EQ(calls, 1);
}

TEST(SchedulerBase, SubscriptionMayOutliveTheScheduler) {
  auto s = std::make_unique<FakeScheduler>();
  auto sub = s->subscribe([](const JobStatus&) {});
  s.reset();
  sub.reset();
}

TEST(SchedulerBase, ListenerMayCallBackIntoTheScheduler) {
  FakeScheduler s;
  std::optional<JobStatus> seen;
  auto sub = s.subscribe([&](const JobStatus& status) {
    seen = s.cached(status.id);  // the table lock is not held during the call
    if (status.state == JobState::kRunning) s.set(status.id, JobState::kCompleted);
  });
  s.publish_raw(make("j", JobState::kRunning));
  ASSERT_TRUE(seen);
  EXPECT_EQ(s.cached("j")->state, JobState::kCompleted);
}

TEST(SchedulerBase, ThrowingListenerDoesNotStopTheOthers) {
  FakeScheduler s;
  std::atomic<int> calls{0};
  auto bad = s.subscribe([](const JobStatus&) { throw std::runtime_error("listener bug"); });
  auto good = s.subscribe([&](const JobStatus&) { ++calls; });
  s.publish_raw(make("j", JobState::kRunning));
  EXPECT_EQ(calls, 1);
}

TEST(SchedulerBase, ManyPublishersAndSubscribersDoNotRace) {
  FakeScheduler s;
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    while (!stop) {
      auto sub = s.subscribe([](const JobStatus&) {});
    }
  });
  std::vector<std::thread> publishers;
  for (int t = 0; t < 4; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        s.publish_raw(make(id, JobState::kQueued));
        s.publish_raw(make(id, JobState::kCompleted));
      }
    });
  }
  for (auto& p : publishers) p.join();
  stop = true;
  churn.join();
  EXPECT_TRUE(s.active_ids().empty());
}

}  // namespace
}  // namespace cuttle
