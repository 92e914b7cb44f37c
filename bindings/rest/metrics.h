// Counters the service exposes at /metrics in the Prometheus text format.
// Thread-safety: every counter is atomic; render() may run concurrently with updates.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>

namespace cuttle::rest {

struct Metrics {
  std::atomic<std::uint64_t> jobs_submitted{0};
  std::atomic<std::uint64_t> jobs_rejected{0};
  std::atomic<std::uint64_t> submit_failures{0};
  std::atomic<std::uint64_t> jobs_recovered{0};
  std::atomic<std::uint64_t> state_changes{0};
  std::atomic<std::uint64_t> callbacks_delivered{0};
  std::atomic<std::uint64_t> callback_attempts_failed{0};
  std::atomic<std::uint64_t> callbacks_abandoned{0};
  std::atomic<std::int64_t> callbacks_pending{0};
  std::atomic<std::uint64_t> requests_2xx{0};
  std::atomic<std::uint64_t> requests_4xx{0};
  std::atomic<std::uint64_t> requests_5xx{0};
  std::atomic<std::uint64_t> unauthorized{0};
  std::atomic<std::uint64_t> jobs_adopted{0};   // taken over from instances whose lease expired
  std::atomic<std::uint64_t> writes_fenced{0};  // refused: the job was adopted by another
  std::atomic<std::uint64_t> callbacks_fenced{0};
  std::atomic<std::uint64_t> launches_deferred{0};  // waited behind a burst of submits

  void count_response(int status);
  // `jobs_by_state` maps reference state words to the number of jobs this process holds.
  std::string render(const std::map<std::string, std::size_t>& jobs_by_state) const;
};

}  // namespace cuttle::rest
