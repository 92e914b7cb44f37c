// Acting on a job: cancel (answered with the state after the cancel, bounded wait) and
// extend, for jobs in memory and for jobs only the store knows.
#include "bindings/rest/job_service.h"

#include "bindings/rest/job_service_helpers.h"
#include "cuttle/error.h"

namespace cuttle::rest {

using service_detail::error_status;
using service_detail::sandbox_of;

namespace {

// How long PUT/DELETE of a running job wait for it to stop before answering.
constexpr std::chrono::milliseconds kCancelAnswerWait{5000};

}  // namespace

std::optional<std::string> JobService::cancel(const std::string& id, bool delete_output) {
  auto entry = find(id);
  if (!entry) {
    // Finished (the store holds it, memory does not) or owned by another instance.
    auto row = store_->get_job(id);
    if (!row) return std::nullopt;
    if (!row->final && !row->backend_id.empty()) {
      // Owned by another instance: cancel through our handle; its owner records it.
      if (auto sched = scheduler(row->scheduler)) sched->cancel(row->backend_id);
    }
    if (delete_output && config_.delete_sandbox_on_cancel && row->owner == config_.instance) {
      delete_sandbox(id, row->scheduler, sandbox_of(row->status));
    }
    return document_from_store(id);
  }
  std::string backend_id;
  std::string scheduler_name;
  std::string sandbox;
  bool final = false;
  {
    std::unique_lock lock(cache_mutex_);
    final = entry->final;
    backend_id = entry->backend_id;
    scheduler_name = entry->scheduler_name;
    // Kept until the job ends: apply() records it with every state (TES's CANCELING).
    if (!final) entry->cancel_requested = true;
  }
  if (!final) {
    if (backend_id.empty()) {
      JobStatus cancelled;
      cancelled.state = JobState::kCancelled;
      cancelled.reason = "cancelled before it was submitted";
      cancelled.finished = Clock::now();
      apply(id, cancelled);
    } else if (auto sched = scheduler(scheduler_name)) {
      try {
        apply(id, sched->cancel(backend_id));
        // The answer carries the state after the cancel: wait (bounded) for the job to
        // stop instead of reporting the RUNNING it had when the signal left.
        apply(id, sched->wait_until_done(backend_id, kCancelAnswerWait));
      } catch (const NoSuchJob&) {
        apply(id, error_status("job lost: the scheduler no longer knows it"));
      }
    }
  }
  if (delete_output && config_.delete_sandbox_on_cancel) {
    {
      std::shared_lock lock(cache_mutex_);
      auto it = entry->status.scheduler_info.find("sandbox");
      if (it != entry->status.scheduler_info.end()) sandbox = it->second;
    }
    delete_sandbox(id, scheduler_name, sandbox);
  }
  return document(id);
}

std::optional<std::string> JobService::extend(const std::string& id, std::chrono::seconds by) {
  auto entry = find(id);
  if (!entry) {
    auto row = store_->get_job(id);
    if (!row) return std::nullopt;
    if (row->final) throw RequestError(409, "id", "job is done");
    throw RequestError(409, "id", "job is owned by another instance");
  }
  std::string backend_id;
  std::string scheduler_name;
  {
    std::shared_lock lock(cache_mutex_);
    if (entry->final) throw RequestError(409, "id", "job is done");
    backend_id = entry->backend_id;
    scheduler_name = entry->scheduler_name;
  }
  if (backend_id.empty()) throw RequestError(409, "id", "job is not submitted yet; retry shortly");
  try {
    apply(id, scheduler(scheduler_name)->extend(backend_id, by));
  } catch (const Unsupported& e) {
    throw RequestError(409, "seconds", std::string("scheduler cannot extend: ") + e.what());
  } catch (const InvalidJobDescription& e) {
    throw RequestError(400, e.field(), e.reason());
  } catch (const InvalidArgument& e) {
    throw RequestError(400, "seconds", e.what());
  }
  return document(id);
}

}  // namespace cuttle::rest
