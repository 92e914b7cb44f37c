// What `cuttle submit --wait` and `cuttle wait` print on stderr while a job runs: one
// line per state change with the time and the elapsed time ("cuttle: 15:04:05.120 c01..
// Running after 0.3s"). On a terminal a transient "still Running, 12s" line is redrawn
// every second in between; elsewhere only the plain lines are written.
// Thread-safety: observe() may be called from the adaptor's listener thread and the main
// thread at once (one mutex); tick() and finish() from the main thread.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "cuttle/job_status.h"

namespace cuttle::cli {

class Progress {
 public:
  // `enabled` false: prints nothing (e.g. --json on a terminal is still allowed lines;
  // the caller decides). `terminal`: stderr is a TTY.
  Progress(std::string id, bool enabled, bool terminal);

  void observe(const JobStatus& status);
  void tick();
  // Clears a transient line so that the caller's final line starts clean.
  void finish();

 private:
  void clear_transient();
  double elapsed_seconds() const;

  const std::string id_;
  const bool enabled_;
  const bool terminal_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::optional<JobState> last_;
  bool transient_shown_ = false;
  std::chrono::steady_clock::time_point last_tick_{};
};

// "15:04:05.120" in UTC.
std::string clock_time(TimePoint time);

}  // namespace cuttle::cli
