// The shared event loop: work runs on its one thread, a throwing handler does not stop
// it, and the process exits promptly even with timers pending or a handler stuck.
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <thread>

#include "internal/event_loop.h"

namespace cuttle::detail {
namespace {

using namespace std::chrono_literals;

TEST(EventLoop, PostedWorkRunsOnTheLoopThread) {
  EventLoop& loop = EventLoop::shared();
  EXPECT_FALSE(loop.on_loop_thread());
  std::promise<bool> on_loop;
  boost::asio::post(loop.context(), [&] { on_loop.set_value(loop.on_loop_thread()); });
  auto result = on_loop.get_future();
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(result.get());
}

TEST(EventLoop, SharedIsOneLoop) { EXPECT_EQ(&EventLoop::shared(), &EventLoop::shared()); }

TEST(EventLoop, ThrowingHandlerDoesNotStopTheLoop) {
  EventLoop& loop = EventLoop::shared();
  boost::asio::post(loop.context(), [] { throw std::runtime_error("handler bug"); });
  std::promise<void> later;
  boost::asio::post(loop.context(), [&] { later.set_value(); });
  EXPECT_EQ(later.get_future().wait_for(10s), std::future_status::ready);
}

TEST(EventLoop, TimersFire) {
  EventLoop& loop = EventLoop::shared();
  boost::asio::steady_timer timer(loop.context(), 20ms);
  std::promise<void> fired;
  timer.async_wait([&](const boost::system::error_code&) { fired.set_value(); });
  EXPECT_EQ(fired.get_future().wait_for(10s), std::future_status::ready);
}

TEST(EventLoopDeathTest, ExitWithPendingTimerAndStuckHandlerDoesNotHang) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        EventLoop& loop = EventLoop::shared();
        // Never destroyed: static destruction may still touch it after the loop stops.
        auto* timer = new boost::asio::steady_timer(loop.context(), std::chrono::hours(1));
        timer->async_wait([](const boost::system::error_code&) {});
        boost::asio::post(loop.context(),
                          [] { std::this_thread::sleep_for(std::chrono::hours(1)); });
        std::this_thread::sleep_for(50ms);  // let the stuck handler start
        std::exit(7);
      },
      ::testing::ExitedWithCode(7), "");
}

TEST(EventLoopDeathTest, ExitFromAHandlerDoesNotWaitForItself) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        boost::asio::post(EventLoop::shared().context(), [] { std::exit(5); });
        std::this_thread::sleep_for(std::chrono::hours(1));
      },
      ::testing::ExitedWithCode(5), "");
}

}  // namespace
}  // namespace cuttle::detail
