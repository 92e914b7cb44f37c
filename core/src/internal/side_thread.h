// One helper thread per process for work that should run beside a child process the
// calling thread has just started, not on the same CPU as it.
//
// Why: Linux often leaves a freshly exec'd child on its parent's CPU. On the 2-core test
// machine the two shared a CPU about half the time, so work the parent did "while the child
// starts up" was mostly taken from the child: 0.25 ms of spinning in the parent made a
// concurrent `sbatch` 0.30 ms slower on average, the same 0.25 ms on a waiting helper thread
// 0.08 ms (docs/performance.md, "The sandbox on a second thread"). Waking another thread
// is what makes the kernel look for an idle CPU.
// Thread-safety: run_beside may be called from any thread.
#pragma once

#include <functional>

namespace cuttle::detail {

// Runs `work` on the side thread and waits for it, rethrowing what it throws. Runs it on
// the calling thread instead when the side thread is busy with another caller's work (no
// caller ever queues behind another), cannot be started, is the calling thread (work that
// calls run_beside again), or the process is exiting or is a fork of the one that started
// it.
void run_beside(const std::function<void()>& work);

}  // namespace cuttle::detail
