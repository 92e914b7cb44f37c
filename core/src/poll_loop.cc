// The poll loop: one thread, an adaptive interval, early wake-ups, clean shutdown.
#include "internal/poll_loop.h"

#include "internal/exit_joins.h"

namespace cuttle::detail {

// Shared with the thread, which must outlive the PollLoop when the last reference to the
// owner is dropped on the thread itself.
struct PollLoop::State {
  State(std::chrono::milliseconds min, std::chrono::milliseconds max) : interval(min, max) {}
  std::mutex mutex;
  std::condition_variable cv;
  PollInterval interval;
  std::chrono::steady_clock::time_point next;
  bool stop = false;
};

PollLoop::PollLoop(std::chrono::milliseconds min, std::chrono::milliseconds max)
    : state_(std::make_shared<State>(min, max)) {
  state_->next = std::chrono::steady_clock::now() + min;
}

PollLoop::~PollLoop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
  }
  state_->cv.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    // The owner died in its own round: the thread sees `stop` and returns without
    // touching the owner again; it is joined at the next hand-over or at exit, never
    // left detached to race the process's exit-time cleanup (libssh, OpenSSL).
    join_at_exit(std::move(thread_));
  } else {
    thread_.join();
  }
}

void PollLoop::start_thread(std::function<std::optional<bool>()> round) {
  std::call_once(started_, [&] {
    // Exit-aware: at process exit the loop is asked to stop and waited for before
    // libssh and OpenSSL are torn down (a round in flight finishes first).
    auto request_stop = [state = state_] {
      {
        std::lock_guard lock(state->mutex);
        state->stop = true;
      }
      state->cv.notify_all();
    };
    thread_ = start_exit_aware_thread(
        [state = state_, round = std::move(round)] {
          while (true) {
            {
              std::unique_lock lock(state->mutex);
              while (!state->stop && std::chrono::steady_clock::now() < state->next) {
                state->cv.wait_until(lock, state->next);
              }
              if (state->stop) return;
            }
            const std::optional<bool> changed = round();
            if (!changed) return;  // the owner is gone
            std::lock_guard lock(state->mutex);
            if (*changed) {
              state->interval.reset();
            } else {
              state->interval.back_off();
            }
            state->next = std::chrono::steady_clock::now() + state->interval.current();
          }
        },
        std::move(request_stop));
  });
}

void PollLoop::wake_soon() {
  {
    std::lock_guard lock(state_->mutex);
    state_->interval.reset();
    state_->next =
        std::min(state_->next, std::chrono::steady_clock::now() + state_->interval.current());
  }
  state_->cv.notify_all();
}

void PollLoop::defer() {
  std::lock_guard lock(state_->mutex);
  state_->next = std::chrono::steady_clock::now() + state_->interval.current();
}

}  // namespace cuttle::detail
