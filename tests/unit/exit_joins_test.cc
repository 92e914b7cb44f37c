// Background threads are finished before the process exits: an exit-aware thread is asked
// to stop and waited for, a thread that destroyed its own owner is joined, background work
// is waited for, and a stuck thread never hangs the exit. Each case runs in a child
// process (a death test) that really exits, and the child's stderr shows what ran.
#include "internal/exit_joins.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace cuttle::detail {
namespace {

using namespace std::chrono_literals;

struct StopFlag {
  std::mutex mutex;
  std::condition_variable cv;
  bool stop = false;
  void request() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return stop; });
  }
};

// Owns a poll-like thread that holds the owner weakly, like the scheduler poll loops.
class Owner : public std::enable_shared_from_this<Owner> {
 public:
  ~Owner() {
    flag_->request();
    if (thread_.get_id() == std::this_thread::get_id()) {
      join_at_exit(std::move(thread_));
    } else if (thread_.joinable()) {
      thread_.join();
    }
  }
  void start(std::shared_ptr<Owner> keep_until_stopped) {
    auto flag = flag_;
    thread_ = start_exit_aware_thread(
        [flag, self = std::move(keep_until_stopped)]() mutable {
          flag->wait();
          std::this_thread::sleep_for(100ms);  // the command in flight
          self.reset();                        // the last reference: ~Owner runs here
          std::fprintf(stderr, "owner destroyed on its own thread, thread ended\n");
        },
        [flag] { flag->request(); });
  }

 private:
  std::shared_ptr<StopFlag> flag_ = std::make_shared<StopFlag>();
  std::thread thread_;
};

// The children re-execute this binary, so each starts with a fresh registry.
class ExitJoins : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(ExitJoins, ExitStopsAndWaitsForAnExitAwareThread) {
  EXPECT_EXIT(
      {
        auto flag = std::make_shared<StopFlag>();
        std::thread thread = start_exit_aware_thread(
            [flag] {
              flag->wait();
              std::this_thread::sleep_for(200ms);  // finishing the command in flight
              std::fprintf(stderr, "poll thread finished\n");
            },
            [flag] { flag->request(); });
        thread.detach();  // an owner that never joins (a leaked or static scheduler)
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "poll thread finished");
}

TEST_F(ExitJoins, ThreadThatDestroyedItsOwnerIsJoinedAtExit) {
  EXPECT_EXIT(
      {
        auto owner = std::make_shared<Owner>();
        owner->start(owner);
        owner.reset();  // the caller lets go; the poll thread holds the last reference
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "owner destroyed on its own thread, thread ended");
}

TEST_F(ExitJoins, BackgroundWorkIsWaitedForAtExit) {
  EXPECT_EXIT(
      {
        run_in_background([] {
          std::this_thread::sleep_for(200ms);
          std::fprintf(stderr, "background work done\n");
        });
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "background work done");
}

// Background work handed over while the exit's sweep runs (array emulation starts the
// next elements from a status listener, which may fire as the process exits): a thread
// the sweep never saw must not abort the exit ("terminate called without an active
// exception", found by CI). Each round races one exit against a stream of hand-overs.
TEST_F(ExitJoins, BackgroundWorkHandedOverDuringTheExitDoesNotAbortIt) {
  for (int round = 0; round < 30; ++round) {
    EXPECT_EXIT(
        {
          std::thread([] {
            for (;;) run_in_background([] {});
          }).detach();
          std::this_thread::sleep_for(2ms);
          std::fprintf(stderr, "exiting\n");
          std::exit(0);
        },
        ::testing::ExitedWithCode(0), "exiting")
        << "round " << round;
    if (HasFailure()) break;
  }
}

TEST_F(ExitJoins, AStuckThreadDoesNotHangTheExit) {
  EXPECT_EXIT(
      {
        std::thread stuck = start_exit_aware_thread([] { std::this_thread::sleep_for(60s); },
                                                    [] { /* ignores the request */ });
        stuck.detach();
        std::exit(stop_exit_aware_threads(300ms) == 1 ? 3 : 4);
      },
      ::testing::ExitedWithCode(3), "");
}

}  // namespace
}  // namespace cuttle::detail
