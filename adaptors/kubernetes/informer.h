// One informer: a paginated LIST of a collection with a label selector, then a WATCH with
// bookmarks from the list's resourceVersion, kept in a cache by name. A 410 Gone (at
// connect or as an ERROR event inside the stream) relists; a dropped stream re-watches from
// the last resourceVersion seen (bookmarks keep it fresh). Objects that vanish across a
// relist are delivered as DELETED. Reading the cache costs no API call.
// Thread-safety: get()/snapshot()/synced() from any thread; the handler is called on the
// informer's own thread, never with the informer's lock held.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "adaptors/kubernetes/api_client.h"

namespace cuttle::detail {

class Informer {
 public:
  // type: "ADDED", "MODIFIED" or "DELETED".
  using Handler = std::function<void(const std::string& type, const nlohmann::json& object)>;

  // `collection`: "/apis/batch/v1/namespaces/NS/jobs". `page_size`: LIST limit.
  Informer(std::shared_ptr<ApiClient> api, std::string collection, std::string selector,
           Handler handler, int page_size = 500);
  ~Informer();  // stops and joins
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void start();
  // True once the first LIST completed.
  bool synced() const { return synced_; }
  // Waits up to `timeout` for the first LIST; returns synced().
  bool wait_synced(std::chrono::milliseconds timeout);
  std::optional<nlohmann::json> get(const std::string& name) const;
  // How many LIST pages and WATCH connections it made (benchmarks, tests).
  std::uint64_t lists() const { return lists_; }
  std::uint64_t watches() const { return watches_; }
  std::uint64_t relists() const { return relists_; }

 private:
  void run();
  // Returns the resourceVersion of the list; throws on failure.
  std::string list();
  // Returns false when the watch ended with 410 (relist), true when it just ended.
  bool watch(std::string& resource_version);
  void deliver(const std::string& type, const nlohmann::json& object);

  const std::shared_ptr<ApiClient> api_;
  const std::string collection_;
  const std::string selector_;
  const Handler handler_;
  const int page_size_;

  mutable std::mutex mutex_;
  std::condition_variable synced_changed_;
  std::map<std::string, nlohmann::json> cache_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> lists_{0}, watches_{0}, relists_{0};
  std::thread thread_;
};

}  // namespace cuttle::detail
