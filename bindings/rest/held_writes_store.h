// A JobStore decorator that keeps the service's own record of its jobs whole while the
// database is away: state changes (with their callbacks), backend ids and "callback
// delivered" marks that cannot be written are held in memory, in order, bounded, and a
// writer thread writes them as soon as the database answers again. Callbacks recorded
// that late are handed to the sink (the outbox) with their seq. Reads are not held: they
// throw StoreUnavailable during an outage. While anything is held, new writes queue
// behind it, so the journal keeps the order the service saw.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "bindings/rest/job_store.h"

namespace cuttle::rest {

class HeldWritesStore : public JobStore {
 public:
  HeldWritesStore(std::unique_ptr<JobStore> inner, std::size_t max_held);
  ~HeldWritesStore() override;
  HeldWritesStore(const HeldWritesStore&) = delete;
  HeldWritesStore& operator=(const HeldWritesStore&) = delete;

  void insert_job(const JobRow& job, const EventRow& first_event) override;
  void insert_job_async(JobRow job, EventRow first_event, Inserted done) override;
  void set_backend_id(const std::string& id, const std::string& backend_id) override;
  // Returns 0 when held: the callback, if any, reaches the sink once written.
  std::optional<std::int64_t> record_change(const JobRow& job, const EventRow& event,
                                            const std::optional<OutboxRow>& callback) override;
  std::optional<JobRow> get_job(const std::string& id) override;
  std::vector<JobRow> active_jobs(const std::string& owner) override;
  std::vector<JobRow> list_jobs(const JobListFilter& filter, std::int64_t after_seq,
                                std::size_t limit) override;
  std::vector<EventRow> events(const std::string& id, std::int64_t after_seq) override;
  std::vector<OutboxRow> pending_callbacks(const std::string& owner) override;
  void callback_done(std::int64_t seq) override;
  std::vector<JobRow> purge_finished(std::int64_t before_ms) override;
  LeaseGrant acquire_lease(const std::string& instance, std::int64_t token,
                           std::chrono::milliseconds ttl) override;
  std::vector<std::string> adopt_expired(const std::string& instance,
                                         const std::vector<std::string>& schedulers) override;
  std::vector<InstanceLease> instances() override;
  bool may_deliver(std::int64_t seq) override;
  StoreHealth health() override;
  void set_late_callback_sink(std::function<void(OutboxRow)> sink) override;

 private:
  struct BackendId {
    std::string id, backend_id;
  };
  struct Change {
    JobRow job;
    EventRow event;
    std::optional<OutboxRow> callback;
  };
  struct Delivered {
    std::int64_t seq;
  };
  using Write = std::variant<BackendId, Change, Delivered>;

  // Runs `write` now, or holds it when the database is away or older writes wait.
  // `direct` performs it; returns false when it was held.
  template <typename F>
  bool write_or_hold(Write write, F&& direct);
  // REQUIRES: mutex_ held. Throws StoreUnavailable when max_held_ writes already wait.
  void hold(Write write);
  void writer_loop();
  void perform(const Write& write);

  std::unique_ptr<JobStore> inner_;
  const std::size_t max_held_;
  std::function<void(OutboxRow)> sink_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Write> held_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace cuttle::rest
