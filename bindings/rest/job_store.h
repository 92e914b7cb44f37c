// The durable job store: one row per job, an append-only event journal of its state
// changes, and the callback outbox. SQLite (WAL, embedded) or PostgreSQL (several
// service instances share one database; each job is owned by the instance that
// accepted it). Each state change is one transaction: job row, journal event and
// outbox entry together, so a terminal callback is recorded exactly when the final
// state is. Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
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

class JobStore {
 public:
  virtual ~JobStore() = default;

  // The submit intent, before any adaptor is called.
  virtual void insert_job(const JobRow& job, const EventRow& first_event) = 0;
  virtual void set_backend_id(const std::string& id, const std::string& backend_id) = 0;
  // Job row update + journal event (+ outbox entry). Returns the outbox seq (0: none).
  // When the stored row is already final nothing is written and nullopt is returned:
  // the final state, and its callback, are recorded once.
  virtual std::optional<std::int64_t> record_change(const JobRow& job, const EventRow& event,
                                                    const std::optional<OutboxRow>& callback) = 0;

  virtual std::optional<JobRow> get_job(const std::string& id) = 0;
  // Jobs of `owner` that are not final (for re-attaching after a restart).
  virtual std::vector<JobRow> active_jobs(const std::string& owner) = 0;
  // Ids in insertion order after `after_seq`, filtered by state words (empty: all).
  virtual std::vector<JobRow> list_jobs(const std::vector<std::string>& states,
                                        std::int64_t after_seq, std::size_t limit) = 0;
  virtual std::vector<EventRow> events(const std::string& id, std::int64_t after_seq) = 0;

  virtual std::vector<OutboxRow> pending_callbacks(const std::string& owner) = 0;
  virtual void callback_done(std::int64_t seq) = 0;

  // Removes final jobs last updated before `before_ms` (journal and outbox too).
  // Returns the removed rows.
  virtual std::vector<JobRow> purge_finished(std::int64_t before_ms) = 0;
};

// "sqlite" or "postgresql" per config.store; creates the schema if needed.
std::unique_ptr<JobStore> open_job_store(const StoreConfig& config);

}  // namespace cuttle::rest
