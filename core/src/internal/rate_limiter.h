// A QPS/burst token bucket, which also holds every request back while a server's
// Retry-After runs: one per Kubernetes API server in this process (client-go's default
// client-side limiter), one per batch scheduler with submit.interval.
// Thread-safety: acquire() and pause_for() may be called concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace cuttle::detail {

class RateLimiter {
 public:
  RateLimiter(double qps, int burst);
  // Blocks until a token is free and no Retry-After is pending.
  void acquire();
  // The server asked to wait: nobody sends before now + `wait`.
  void pause_for(std::chrono::milliseconds wait);

 private:
  using SteadyClock = std::chrono::steady_clock;
  std::mutex mutex_;
  const double qps_;
  const double burst_;
  double tokens_;
  SteadyClock::time_point refilled_;
  SteadyClock::time_point paused_until_;
};

// The limiter of `server`, created with qps/burst by its first user.
std::shared_ptr<RateLimiter> limiter_for(const std::string& server, double qps, int burst);

}  // namespace cuttle::detail
