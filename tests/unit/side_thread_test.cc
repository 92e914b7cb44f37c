// The side thread (core/src/internal/side_thread.h): work runs on another thread while the
// caller waits, exceptions come back, and no caller ever waits behind another's work.
#include "internal/side_thread.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "cuttle/error.h"

namespace cuttle::detail {
namespace {

TEST(SideThread, RunsTheWorkOnAnotherThreadAndWaitsForIt) {
  std::thread::id ran_on;
  bool finished = false;
  run_beside([&] {
    ran_on = std::this_thread::get_id();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    finished = true;
  });
  EXPECT_TRUE(finished) << "run_beside returned before its work did";
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_NE(ran_on, std::thread::id());
}

TEST(SideThread, RethrowsWhatTheWorkThrowsWithItsType) {
  EXPECT_THROW(run_beside([] { throw InvalidJobDescription("stage_in[0].source", "missing"); }),
               InvalidJobDescription);
  try {
    run_beside([] { throw std::runtime_error("plain"); });
    ADD_FAILURE() << "nothing thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "plain");
  }
  // And it is still usable after.
  std::thread::id ran_on;
  run_beside([&] { ran_on = std::this_thread::get_id(); });
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(SideThread, ACallerDoesItsOwnWorkWhileTheSideThreadIsBusy) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<std::thread::id> first_running;
  std::thread first([&] {
    run_beside([&] {
      first_running.set_value(std::this_thread::get_id());
      released.wait();  // holds the side thread
    });
  });
  const std::thread::id side = first_running.get_future().get();
  // The side thread is busy: this call must not wait for it (until the release below).
  std::thread::id second_ran_on;
  auto second = std::async(std::launch::async, [&] {
    run_beside([&] { second_ran_on = std::this_thread::get_id(); });
    return std::this_thread::get_id();
  });
  const auto waited = second.wait_for(std::chrono::seconds(10));
  release.set_value();  // before any check, so that a failure ends cleanly
  first.join();
  EXPECT_EQ(waited, std::future_status::ready) << "a caller queued behind another's work";
  EXPECT_EQ(second_ran_on, second.get()) << "ran on its caller's thread";
  EXPECT_NE(second_ran_on, side);
}

TEST(SideThread, WorkThatCallsItAgainRunsTheInnerWorkInPlace) {
  std::thread::id outer, inner;
  run_beside([&] {
    outer = std::this_thread::get_id();
    run_beside([&] { inner = std::this_thread::get_id(); });  // would deadlock if handed over
  });
  EXPECT_EQ(inner, outer);
}

TEST(SideThread, AForkedChildDoesItsWorkItself) {
  run_beside([] {});  // the parent's side thread exists
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 1;
    const auto self = std::this_thread::get_id();
    run_beside([&] { code = std::this_thread::get_id() == self ? 0 : 2; });
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the work never ran; 2: it ran on another thread";
}

}  // namespace
}  // namespace cuttle::detail
