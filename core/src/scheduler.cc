// The Scheduler interface's shared defaults and open_scheduler(), the one way callers
// obtain a scheduler: registry lookup, then the managed decorator around it.
#include "cuttle/scheduler.h"

#include <algorithm>
#include <thread>

#include "cuttle/error.h"
#include "cuttle/registry.h"
#include "internal/array_emulation.h"
#include "internal/managed_scheduler.h"

namespace cuttle {
namespace {

// Used only by schedulers that do not derive from SchedulerBase (whose waits are pushed,
// not polled): asks for the status with a growing pause between asks.
JobStatus poll_until(Scheduler& scheduler, const std::string& id, std::chrono::milliseconds timeout,
                     bool until_done) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(10);
  for (;;) {
    JobStatus status = scheduler.status(id);
    bool reached = until_done ? status.done()
                              : (status.done() || status.state == JobState::kRunning ||
                                 status.state == JobState::kStagingOut);
    auto now = std::chrono::steady_clock::now();
    if (reached || now >= deadline) return status;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace

JobStatus Scheduler::status(const std::string& id) {
  std::vector<JobStatus> result = statuses({id});
  if (result.size() != 1) {
    throw InternalError(adaptor_name() + ": statuses() returned " + std::to_string(result.size()) +
                        " results for one id");
  }
  return result.front();
}

std::vector<StatusAnswer> Scheduler::status_answers(const std::vector<std::string>& ids) {
  std::vector<StatusAnswer> answers(ids.size());
  std::vector<std::size_t> asking(ids.size());  // indexes into ids still to answer
  for (std::size_t i = 0; i < ids.size(); ++i) {
    answers[i].id = ids[i];
    asking[i] = i;
  }
  while (!asking.empty()) {
    std::vector<std::string> query;
    for (std::size_t i : asking) query.push_back(ids[i]);
    try {
      std::vector<JobStatus> found = statuses(query);
      for (std::size_t k = 0; k < asking.size() && k < found.size(); ++k) {
        answers[asking[k]].status = std::move(found[k]);
      }
      break;
    } catch (const NoSuchJob& e) {
      auto named = std::find_if(asking.begin(), asking.end(),
                                [&](std::size_t i) { return ids[i] == e.job_id(); });
      if (named == asking.end()) throw;  // about no id we asked for: not an answer
      answers[*named].missing = e.what();
      asking.erase(named);
    }
  }
  return answers;
}

JobStatus Scheduler::wait_until_running(const std::string& id, std::chrono::milliseconds timeout) {
  return poll_until(*this, id, timeout, false);
}

JobStatus Scheduler::wait_until_done(const std::string& id, std::chrono::milliseconds timeout) {
  return poll_until(*this, id, timeout, true);
}

JobStatus Scheduler::extend(const std::string&, std::chrono::seconds) {
  throw Unsupported(adaptor_name() + ": extending a job's time allocation is not supported");
}

std::vector<QueueInfo> Scheduler::queues() {
  throw Unsupported(adaptor_name() + ": listing queues is not supported");
}

std::vector<std::string> Scheduler::find_by_name(const std::string&) {
  throw Unsupported(adaptor_name() + ": finding jobs by name is not supported");
}

void Scheduler::forget(const std::string&) {}

std::shared_ptr<FileSystem> Scheduler::job_files() {
  throw Unsupported(adaptor_name() + ": reading job files is not supported");
}

std::shared_ptr<Scheduler> open_scheduler(const std::string& location,
                                          const SchedulerOptions& options) {
  if (Registry::global().empty()) {
    register_builtin_adaptors();
  }
  std::shared_ptr<Scheduler> adaptor =
      Registry::global().create(Location::parse(location), options);
  if (!adaptor) {
    throw InternalError("adaptor factory returned nothing for " + location);
  }
  return detail::make_array_emulation(detail::make_managed_scheduler(std::move(adaptor)));
}

}  // namespace cuttle
