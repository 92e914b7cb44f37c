// A bounded cache of the status documents of finished jobs, so that clients polling a job
// that has ended (the common case: "is it done yet?") are answered without a database
// round trip, while memory stays bounded however many jobs the service has run. A final
// document never changes; an entry expires after `ttl` only because another instance may
// purge the job (retention) and this one must then stop serving it.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace cuttle::rest {

class FinishedDocuments {
 public:
  FinishedDocuments(std::size_t max_bytes, std::chrono::milliseconds ttl);

  std::optional<std::string> get(const std::string& id);
  // REQUIRES: `document` is the job's final document.
  void put(const std::string& id, std::string document);
  void erase(const std::string& id);
  std::size_t bytes() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Item {
    std::string id;
    std::string document;
    Clock::time_point expires;
  };
  static std::size_t cost(const Item& item);
  // REQUIRES: mutex_ held.
  void remove_locked(std::list<Item>::iterator it);

  const std::size_t max_bytes_;
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;
  std::list<Item> recent_;  // most recently used first
  std::unordered_map<std::string, std::list<Item>::iterator> index_;
  std::size_t bytes_ = 0;
};

}  // namespace cuttle::rest
