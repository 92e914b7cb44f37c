// The durable job store: one row per job, an append-only event journal of its state
// changes, and the callback outbox. SQLite (WAL, embedded) or PostgreSQL (several
// service instances share one database; each job is owned by the instance that
// accepted it). Each state change is one transaction: job row, journal event and
// outbox entry together, so a terminal callback is recorded exactly when the final
// state is. When the database cannot be reached a call throws StoreUnavailable (see
// store_errors.h) instead of a generic error; writes are safe to retry.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings/rest/config.h"

namespace cuttle::rest {

struct JobRow {
  std::int64_t seq = 0;  // insertion order; the paging key
  std::string id;
  std::string owner;
  std::string scheduler;
  std::string backend_id;  // empty until the adaptor accepted the job
  std::string state;       // Cuttle's JobState word
  bool final = false;
  std::string request;  // JSON: the echoed request plus "resolved_jobdir"
  std::string status;   // JSON: the "status" member last published
  std::string callback_url;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::string contract;  // JobRequest::contract: "" for joblauncher, "tes", "jobs-api", …
  std::string name;      // JobRequest::name (TES's and the jobs API's names too)
};

// What list_jobs() returns: jobs in insertion order, filtered in the database.
struct JobListFilter {
  std::vector<std::string> states;      // Cuttle's state words; empty: every state
  std::optional<std::string> contract;  // only this contract's jobs ("": joblauncher's)
  std::string name_prefix;              // names starting with it, byte for byte
};

struct EventRow {
  std::int64_t seq = 0;
  std::string job_id;
  std::int64_t time_ms = 0;
  std::string state;   // Cuttle's word
  std::string status;  // JSON: the "status" member at that moment
};

struct OutboxRow {
  std::int64_t seq = 0;
  std::string job_id;
  std::string url;
  std::string body;  // the full status document
  bool terminal = false;
  std::int64_t created_ms = 0;
};

struct StoreHealth {
  bool up = true;
  std::string error;             // why it is down; empty when up
  std::size_t held_changes = 0;  // state changes waiting for the database
};

struct LeaseGrant {
  std::int64_t token = 0;       // the fencing token every write of this instance carries
  std::int64_t expires_ms = 0;  // database clock
  bool renewed = false;         // false: a new token (first start, or the lease lapsed)
};

struct InstanceLease {
  std::string instance;
  std::int64_t expires_ms = 0;
  std::int64_t renewed_ms = 0;
  std::int64_t started_ms = 0;
  bool expired = false;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // The submit intent, before any adaptor is called. Returns once it is committed.
  virtual void insert_job(const JobRow& job, const EventRow& first_event) = 0;
  // Told, once, nullptr when the job is committed, else what insert_job would have thrown.
  using Inserted = std::function<void(std::exception_ptr)>;
  // The same without waiting: `done` is called once the job is committed or could not be,
  // from a thread of the store's (it must not block). This default inserts on the caller's
  // thread and calls `done` before returning.
  virtual void insert_job_async(JobRow job, EventRow first_event, Inserted done) {
    std::exception_ptr error;
    try {
      insert_job(job, first_event);
    } catch (...) {
      error = std::current_exception();
    }
    done(error);
  }
  virtual void set_backend_id(const std::string& id, const std::string& backend_id) = 0;
  // Job row update + journal event (+ outbox entry). Returns the outbox seq (0: none, or
  // held: see HeldWritesStore, which hands the callback to the sink once written).
  // When the stored row is already final nothing is written and nullopt is returned:
  // the final state, and its callback, are recorded once. Replaying the same change
  // (same state and updated_ms) after an unknown outcome writes nothing twice.
  virtual std::optional<std::int64_t> record_change(const JobRow& job, const EventRow& event,
                                                    const std::optional<OutboxRow>& callback) = 0;

  virtual std::optional<JobRow> get_job(const std::string& id) = 0;
  // Jobs of `owner` that are not final (for re-attaching after a restart).
  virtual std::vector<JobRow> active_jobs(const std::string& owner) = 0;
  // Jobs in insertion order after `after_seq` that pass `filter`, at most `limit`.
  virtual std::vector<JobRow> list_jobs(const JobListFilter& filter, std::int64_t after_seq,
                                        std::size_t limit) = 0;
  virtual std::vector<EventRow> events(const std::string& id, std::int64_t after_seq) = 0;

  virtual std::vector<OutboxRow> pending_callbacks(const std::string& owner) = 0;
  virtual void callback_done(std::int64_t seq) = 0;

  // Removes final jobs last updated before `before_ms` (journal and outbox too).
  // Returns the removed rows.
  virtual std::vector<JobRow> purge_finished(std::int64_t before_ms) = 0;

  // Leases (see lease_keeper.h). Renews `instance`'s lease if it still holds `token`,
  // else issues a new token; from then on every write of a job is checked, in its
  // transaction, against the job's owner and token, and refused with Fenced when another
  // instance adopted the job. Not held during an outage: throws StoreUnavailable.
  virtual LeaseGrant acquire_lease(const std::string& instance, std::int64_t token,
                                   std::chrono::milliseconds ttl) = 0;
  // Moves the unfinished jobs on `schedulers` of every instance whose lease expired to
  // `instance`; returns their ids.
  virtual std::vector<std::string> adopt_expired(const std::string& instance,
                                                 const std::vector<std::string>& schedulers) = 0;
  virtual std::vector<InstanceLease> instances() = 0;
  // Whether the outbox row may be sent now: false when already delivered; Fenced when
  // its job is no longer this instance's.
  virtual bool may_deliver(std::int64_t seq) = 0;

  // Whether the database answers now (a cheap round trip), and what waits for it.
  virtual StoreHealth health() = 0;
  // Where callbacks recorded late (state changes held during an outage and written when
  // the database came back) are handed, with their outbox seq. Set before use.
  virtual void set_late_callback_sink(std::function<void(OutboxRow)> sink) { (void)sink; }
};

// "sqlite" or "postgresql" per config.store; applies schema migrations (see
// schema_migrations.h); the result holds state changes while the database is away.
std::unique_ptr<JobStore> open_job_store(const StoreConfig& config);

}  // namespace cuttle::rest
