// The REST service's engine, free of HTTP: accepts jobs (intent stored first), submits
// them on worker threads, turns every state change the schedulers report into one
// journal transaction and, when the job has a callback URL, one outbox entry; re-attaches
// to unfinished jobs after a restart. Memory holds only this instance's active jobs; a
// finished job leaves memory when its final state is journaled (the schedulers forget it
// too), and queries about it are answered from the store (the source of truth), behind a
// bounded cache of final documents.
// Thread-safety: every public method may be called from any thread after start().
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/rest/callback_outbox.h"
#include "bindings/rest/config.h"
#include "bindings/rest/finished_documents.h"
#include "bindings/rest/job_request.h"
#include "bindings/rest/job_store.h"
#include "bindings/rest/lease_keeper.h"
#include "bindings/rest/metrics.h"
#include "cuttle/scheduler.h"
#include "internal/lost_rule.h"

namespace cuttle::rest {

// Wraps each configured scheduler as it is opened (name, scheduler) -> what the service
// uses. The seam for decorators, e.g. a test's fault injection; empty: used as opened.
using SchedulerDecorator =
    std::function<std::shared_ptr<Scheduler>(const std::string&, std::shared_ptr<Scheduler>)>;

class JobService {
 public:
  // Opens the store and every configured scheduler; throws InvalidArgument (config) or
  // Error (a scheduler could not be opened).
  explicit JobService(Config config, SchedulerDecorator decorate = {});
  ~JobService();
  JobService(const JobService&) = delete;
  JobService& operator=(const JobService&) = delete;

  // Re-attaches to unfinished jobs, resumes undelivered callbacks, starts the threads.
  void start();
  void stop();

  // Stores the intent and queues the submit; returns the new job id once it is committed.
  std::string submit(const JobRequest& request);
  // Told, once, the new job's id and nullptr once it is committed, else the id and what
  // refused it (e.g. StoreUnavailable). Called from the store's thread: must not block.
  using Submitted = std::function<void(const std::string& id, std::exception_ptr error)>;
  // submit() without waiting for the store: the request is checked now (throws as
  // submit() does), and `done` is told when the job is durable (or why it is not).
  void submit_async(const JobRequest& request, Submitted done);
  // The status document as JSON text; nullopt for an unknown id.
  std::optional<std::string> document(const std::string& id);
  // The document when memory holds it (an active job, or a finished one still in the
  // cache of final documents); never reads the store, so it does not block.
  std::optional<std::string> document_in_memory(const std::string& id);
  struct Page {
    std::vector<std::string> ids;
    std::string next_token;  // empty: no more
  };
  // `states` are reference words (RUNNING, ...); RequestError for a bad token.
  Page list(const std::vector<std::string>& states, std::size_t limit, const std::string& token);
  // The jobs of one contract (JobRequest::contract) whose names start with `name_prefix`,
  // filtered by the store rather than by reading documents; tokens as list()'s.
  Page list_contract(const std::string& contract, const std::string& name_prefix, std::size_t limit,
                     const std::string& token);
  // Idempotent. `delete_output`: also remove what the job left in its sandbox.
  // nullopt for an unknown id.
  std::optional<std::string> cancel(const std::string& id, bool delete_output);
  // RequestError 409 when the job is done or the scheduler cannot extend.
  std::optional<std::string> extend(const std::string& id, std::chrono::seconds by);
  // The journal after `after_seq`; nullopt for an unknown id.
  std::optional<std::vector<EventRow>> events(const std::string& id, std::int64_t after_seq);
  // Blocks until something is journaled for any job or `timeout` passes.
  void wait_for_change(std::chrono::milliseconds timeout);
  bool is_final(const std::string& id);
  bool stopping() const { return stopping_; }

  std::string metrics_text();
  nlohmann::json health();
  const Config& config() const { return config_; }
  Metrics& metrics() { return metrics_; }

 private:
  // One page of the store's listing after seq `after`.
  Page page(const JobListFilter& filter, std::size_t limit, std::int64_t after);

  struct Entry {
    std::string id;
    std::string scheduler_name;
    std::string backend_id;
    JobRequest request;
    nlohmann::json echo;
    JobStatus status;
    std::string document;
    std::string status_json;
    bool final = false;
    bool cancel_requested = false;
    detail::MissingClock missing;  // since when the scheduler no longer knows the job
    std::int64_t created_ms = 0;
  };
  struct Observation {
    std::string scheduler;
    JobStatus status;
  };

  // A checked request, ready for the store.
  struct Prepared {
    std::shared_ptr<Entry> entry;
    JobRow row;
    EventRow event;
  };
  Prepared prepare(const JobRequest& request);
  // After the job's row is committed: memory, the submit queue, watchers.
  void accepted(const std::shared_ptr<Entry>& entry);
  // Many accepts were waiting for their commit a moment ago: a burst is arriving.
  bool accepting_in_a_burst() const;
  std::shared_ptr<Scheduler> scheduler(const std::string& name) const;
  void check_dependencies(const JobDescription& description, const std::string& scheduler_name);
  JobDescription with_backend_dependencies(JobDescription description);
  void open_schedulers(const SchedulerDecorator& decorate);
  void recover();
  void start_lease();
  void attach(const std::vector<JobRow>& rows);
  // A job whose submit answer a crash lost: looks for it by name (our id) and adopts what
  // it finds, or queues it for its first submit when the search found nothing. When the
  // search itself failed (the scheduler did not answer), nothing is decided: the job
  // waits in unfound_ for the next poll to search again, so it is never submitted twice.
  enum class Search { kFound, kAbsent, kUnanswered };
  Search find_lost_submit(Entry& entry, Scheduler& sched);
  struct LostSubmits {
    std::vector<std::string> to_submit;  // the scheduler has no such job: submit it
    std::vector<std::string> unfound;    // the scheduler did not answer: search again
  };
  void settle_lost_submit(Entry& entry, Scheduler& sched, LostSubmits& lost);
  void queue_lost_submits(const LostSubmits& lost);
  void search_unfound();
  void track_again(const Entry& entry, Scheduler& sched);
  void adopt(const std::vector<std::string>& ids);
  // Another instance adopted `id` while this one's lease had lapsed: stop acting on it.
  void forget_fenced(const std::string& id, const std::exception& why);
  // The stored status, marked with its owner and since when it is down when the owner's
  // lease expired and nobody adopted the job (a scheduler only the owner could reach).
  std::string with_owner_state(const JobRow& row);
  void add_lease_health(nlohmann::json& out);
  void submit_loop();
  void submit_one(const std::string& id);
  void apply_loop();
  void poll_loop();
  void poll_once();
  void retention_loop();
  void observe(const std::string& scheduler, const JobStatus& status);
  // Records a state change of our job `id`: journal, outbox, cache.
  void apply(const std::string& id, JobStatus status);
  void delete_sandbox(const std::string& id, const std::string& scheduler_name,
                      const std::string& sandbox);
  std::string render(const nlohmann::json& echo, const std::string& status_json) const;
  std::optional<std::string> document_from_store(const std::string& id);
  std::shared_ptr<Entry> find(const std::string& id) const;
  // REQUIRES: cache_mutex_ held exclusively.
  void forget_locked(const Entry& entry);
  // Drops finished jobs from memory once their final state is durable (nothing held).
  void forget_finished();
  // Counts a submit whose backend id is not known yet; observations of unknown backend
  // ids are kept (early_) only while one is.
  class InFlight {
   public:
    explicit InFlight(JobService& service);
    ~InFlight();
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    JobService& service_;
  };

  Config config_;
  Metrics metrics_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<CallbackOutbox> outbox_;
  std::unique_ptr<LeaseKeeper> lease_;
  std::map<std::string, std::shared_ptr<Scheduler>> schedulers_;
  // Each scheduler's sandbox.root as it was opened with (empty: the adaptor keeps none);
  // delete_sandbox removes only a direct child of it.
  std::map<std::string, std::string> sandbox_roots_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;

  mutable std::shared_mutex cache_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> cache_;
  std::map<std::pair<std::string, std::string>, std::string> by_backend_;  // (sched, backend) -> id
  std::map<std::pair<std::string, std::string>, JobStatus> early_;  // seen before submit returned
  std::size_t submits_in_flight_ = 0;                               // guarded by cache_mutex_
  // Documents of jobs that left cache_: polls of a finished job skip the database.
  FinishedDocuments finished_documents_{1 << 20, std::chrono::seconds(10)};

  std::mutex apply_mutex_;  // one state change at a time: journal order == cache order

  std::mutex queue_mutex_;
  std::condition_variable queue_wake_;    // submit workers
  std::condition_variable observe_wake_;  // the apply thread
  std::deque<std::string> submit_queue_;
  std::size_t inserts_in_flight_ = 0;  // submit_async()s the store has not answered yet
  std::condition_variable inserts_done_;
  std::atomic<std::int64_t> deep_accept_ns_{0};  // steady clock: kBurstDepth accepts in flight
  std::vector<std::string> unfound_;             // lost submit answers still to search for
  std::deque<Observation> observations_;

  std::mutex change_mutex_;
  std::condition_variable change_wake_;
  std::uint64_t change_count_ = 0;

  std::mutex stop_mutex_;
  std::condition_variable stop_wake_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace cuttle::rest
