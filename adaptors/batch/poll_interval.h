// The adaptive poll interval of the batch engine: fast right after a submit or a
// change, slower (up to a bound) while nothing changes. Both bounds are properties.
// Thread-safety: none; the engine guards it with its poll mutex.
#pragma once

#include <algorithm>
#include <chrono>

namespace cuttle::detail {

class PollInterval {
 public:
  PollInterval(std::chrono::milliseconds min, std::chrono::milliseconds max)
      : min_(min), max_(std::max(min, max)), current_(min) {}
  std::chrono::milliseconds current() const { return current_; }
  // Something changed or a job was submitted: look again soon.
  void reset() { current_ = min_; }
  // Nothing changed: wait 1.5 times longer next time, up to the maximum.
  void back_off() {
    current_ = std::min(max_, std::chrono::milliseconds(current_.count() * 3 / 2 + 1));
  }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
};

}  // namespace cuttle::detail
