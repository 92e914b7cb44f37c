// One worker thread, started on first use and shared by every local scheduler, for the
// slow file work that must not run on the event loop (stage-out of finished jobs).
// Thread-safety: run() may be called from any thread; tasks run one at a time, in order.
#pragma once

#include <functional>

namespace cuttle::detail::local {

void run_in_background(std::function<void()> task);

}  // namespace cuttle::detail::local
