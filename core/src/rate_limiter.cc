// Token bucket with a shared pause for Retry-After; one per API server.
#include "internal/rate_limiter.h"

#include <algorithm>
#include <map>
#include <thread>

namespace cuttle::detail {

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(std::max(qps, 0.001)),
      burst_(std::max(burst, 1)),
      tokens_(burst_),
      refilled_(SteadyClock::now()) {}

void RateLimiter::acquire() {
  while (true) {
    SteadyClock::duration wait{};
    {
      std::lock_guard lock(mutex_);
      const auto now = SteadyClock::now();
      if (now < paused_until_) {
        wait = paused_until_ - now;
      } else {
        const double elapsed = std::chrono::duration<double>(now - refilled_).count();
        tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
        refilled_ = now;
        if (tokens_ >= 1) {
          tokens_ -= 1;
          return;
        }
        wait = std::chrono::duration_cast<SteadyClock::duration>(
            std::chrono::duration<double>((1 - tokens_) / qps_));
      }
    }
    std::this_thread::sleep_for(wait);
  }
}

void RateLimiter::pause_for(std::chrono::milliseconds wait) {
  std::lock_guard lock(mutex_);
  paused_until_ = std::max(paused_until_, SteadyClock::now() + wait);
}

std::shared_ptr<RateLimiter> limiter_for(const std::string& server, double qps, int burst) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<RateLimiter>> limiters;
  std::lock_guard lock(mutex);
  std::shared_ptr<RateLimiter> limiter = limiters[server].lock();
  if (!limiter) {
    limiter = std::make_shared<RateLimiter>(qps, burst);
    limiters[server] = limiter;
  }
  return limiter;
}

}  // namespace cuttle::detail
