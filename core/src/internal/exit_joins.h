// Background threads that must be finished before the process tears down what they use
// (libssh and OpenSSL in particular, whose exit-time cleanup crashed threads still in a
// session). Two cases:
//  - a thread started with start_exit_aware_thread() is asked to stop and waited for by
//    stop_exit_aware_threads(), which the libssh runtime's exit handler calls before
//    OpenSSL's cleanup (core registers it as an exit handler too). Scheduler poll threads
//    are started this way: at exit they finish the command in flight and return, even
//    when their scheduler is still owned by a static object or by the poll thread itself;
//  - an owner destroyed on its own thread (a poll thread dropping the last reference to
//    its scheduler) cannot join that thread: it hands it to join_at_exit() instead of
//    detaching it, and the thread is joined at the next hand-over or at exit.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace cuttle::detail {

// Runs `body` on a new thread. At exit `request_stop` is called (from the exiting
// thread; it must only set a flag and notify) and the thread waited for.
std::thread start_exit_aware_thread(std::function<void()> body, std::function<void()> request_stop);

// Runs `work` on a new thread owned by this registry (instead of a detached one): it is
// joined once it ended, at the next registry call or at exit (bounded, as below).
void run_in_background(std::function<void()> work);

// REQUIRES: called on `thread` itself, while it finishes destroying its owner.
void join_at_exit(std::thread thread);

// Asks every exit-aware thread to stop, waits at most `limit` in total for them to end,
// and joins the handed-over ones that ended. A thread still running after `limit` (stuck
// in a blocking call) is left to the kernel and logged rather than hanging the exit.
// Returns how many were still running.
int stop_exit_aware_threads(std::chrono::milliseconds limit);

}  // namespace cuttle::detail
