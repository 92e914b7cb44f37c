// Progress lines on stderr.
#include "bindings/cli/progress.h"

#include <cstdio>
#include <ctime>
#include <iostream>

#include "bindings/cli/output.h"

namespace cuttle::cli {

std::string clock_time(TimePoint time) {
  const std::string full = format_time(time);  // 2026-12-01T15:04:05.120Z
  return full.substr(11, 12);
}

Progress::Progress(std::string id, bool enabled, bool terminal)
    : id_(std::move(id)), enabled_(enabled), terminal_(terminal) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void Progress::clear_transient() {
  if (transient_shown_) std::cerr << "\r\033[K";
  transient_shown_ = false;
}

void Progress::observe(const JobStatus& status) {
  if (!enabled_ || status.id != id_) return;
  std::lock_guard lock(mutex_);
  if (last_ == status.state) return;
  last_ = status.state;
  clear_transient();
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1fs", elapsed_seconds());
  std::cerr << "cuttle: " << clock_time(Clock::now()) << ' ' << id_ << ' '
            << to_string(status.state) << " after " << elapsed
            << (status.reason.empty() || !status.done() ? "" : ": " + status.reason) << "\n";
}

void Progress::tick() {
  if (!enabled_ || !terminal_) return;
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (now - last_tick_ < std::chrono::seconds(1) || !last_ || is_final(*last_)) return;
  last_tick_ = now;
  std::cerr << "\r\033[Kcuttle: " << id_ << " still " << to_string(*last_) << ", "
            << static_cast<long>(elapsed_seconds()) << "s (Ctrl-C to stop waiting)" << std::flush;
  transient_shown_ = true;
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  clear_transient();
}

}  // namespace cuttle::cli
