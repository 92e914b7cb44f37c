// One Boost.Asio io_context with one thread, shared by the local adaptor (pidfd exits,
// timers) and the core (deadlines, retries). Created on first use, stopped at exit.
// Thread-safety: post()/context() may be used from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

namespace cuttle::detail {

class EventLoop {
 public:
  static EventLoop& shared();
  boost::asio::io_context& context() { return context_; }
  // True on the loop's own thread.
  bool on_loop_thread() const;
  // Stops the loop and joins its thread, waiting a bounded time for a running handler.
  // Idempotent; called at process exit. Timers may still be created and cancelled after.
  void shutdown();
  ~EventLoop();

 private:
  EventLoop();
  struct Impl;
  boost::asio::io_context context_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuttle::detail
