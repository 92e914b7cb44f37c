// The batch engine's arrays (docs/arrays.md): an array is one scheduler job whose
// elements "ID[INDEX]" the engine tracks like jobs — observed by the same one status
// command per poll, resolved from the queue, accounting, each element's own markers and
// the grace window — and whose own status is the aggregate of theirs.
#include <algorithm>
#include <set>

#include "adaptors/batch/array_job.h"
#include "adaptors/batch/batch_scheduler.h"
#include "adaptors/batch/text.h"
#include "cuttle/error.h"
#include "cuttle/shell.h"
#include "internal/job_markers.h"
#include "internal/log.h"
#include "internal/path_text.h"

namespace cuttle::detail {

void BatchScheduler::register_array(const std::string& id, const std::string& sandbox,
                                    const std::string& job_name, const ArraySpec& spec,
                                    const std::optional<JobDescription>& description) {
  std::lock_guard lock(mutex_);
  TrackedArray& array = arrays_[id];
  array.sandbox = sandbox;
  array.indices = spec.indices();
  array.description = description;
  for (int index : array.indices) {
    Tracked& element = tracked_[array_element_id(id, index)];
    element.sandbox = element_sandbox(sandbox, index);
    element.job_name = job_name;
    if (description) element.max_runtime = description->max_runtime;
  }
  tracked_.erase(id);  // observed through its elements
}

bool BatchScheduler::is_array(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return arrays_.count(id) > 0;
}

std::vector<std::string> BatchScheduler::element_ids(const std::string& array_id) const {
  std::vector<std::string> ids;
  std::lock_guard lock(mutex_);
  auto it = arrays_.find(array_id);
  if (it == arrays_.end()) return ids;
  for (int index : it->second.indices) ids.push_back(array_element_id(array_id, index));
  return ids;
}

JobStatus BatchScheduler::publish_array(const std::string& array_id) {
  TrackedArray array;
  {
    std::lock_guard lock(mutex_);
    array = arrays_.at(array_id);
  }
  JobStatus status;
  status.id = array_id;
  int ended = 0;
  for (int index : array.indices) {
    const std::optional<JobStatus> element = cached(array_element_id(array_id, index));
    ArrayElementStatus summary{index, JobState::kQueued, std::nullopt};
    if (element) {
      summary = {index, element->state, element->exit_code};
      if (element->submitted && (!status.submitted || *element->submitted < *status.submitted)) {
        status.submitted = element->submitted;
      }
      if (element->started && (!status.started || *element->started < *status.started)) {
        status.started = element->started;
      }
      if (element->finished && (!status.finished || *element->finished > *status.finished)) {
        status.finished = element->finished;
      }
    }
    if (is_final(summary.state)) ++ended;
    status.array_elements.push_back(summary);
  }
  status.state = aggregate_array_state(status.array_elements);
  status.exit_code = aggregate_array_exit_code(status.array_elements);
  if (!is_final(status.state)) status.finished.reset();
  status.native_state = "array";
  status.reason =
      std::to_string(ended) + " of " + std::to_string(array.indices.size()) + " elements ended";
  if (status.state == JobState::kError) status.error = "an element ended in Error";
  status.scheduler_info["sandbox"] = array.sandbox;
  const std::optional<JobStatus> previous = cached(array_id);
  if (is_final(status.state) && !(previous && previous->done())) {
    finish_in(status, array.sandbox, array.description);
  }
  return publish(std::move(status));
}

void BatchScheduler::publish_arrays_of(const std::vector<std::string>& ids) {
  std::set<std::string> arrays;
  for (const std::string& id : ids) {
    if (auto element = parse_array_element_id(id); element && is_array(element->first)) {
      arrays.insert(element->first);
    }
  }
  for (const std::string& array_id : arrays) publish_array(array_id);
}

bool BatchScheduler::adopt_array(const std::string& id) {
  std::string sandbox;
  std::string job_name;
  {
    std::lock_guard lock(mutex_);
    auto it = tracked_.find(id);
    if (it == tracked_.end() || it->second.sandbox.empty()) return false;
    sandbox = it->second.sandbox;
    job_name = it->second.job_name;
  }
  std::string spec_text;
  try {
    spec_text =
        first_line(files_->read_file(join_path(join_path(sandbox, kMarkerDir), kArrayFile)));
  } catch (const ConnectionFailed&) {
    throw;
  } catch (const Error&) {
    return false;  // not an array
  }
  ArraySpec spec;
  try {
    spec = ArraySpec::parse(spec_text);
  } catch (const InvalidJobDescription& e) {
    log(LogLevel::kWarn, "batch", "unreadable array record", {{"id", id}, {"error", e.what()}});
    return false;
  }
  register_array(id, sandbox, job_name, spec, std::nullopt);
  return true;
}

JobStatus BatchScheduler::cancel_array(const std::string& id) {
  if (auto status = cached(id); status && status->done()) return *status;
  // Every element learns the kill was a cancel: one command writes the cancelled marker of
  // each element that has started (one that has not never will).
  std::vector<std::string> argv = {
      "/bin/sh", "-c", "for d; do [ -d \"$d\" ] && : > \"$d/cancelled\"; done; exit 0", "sh"};
  const std::vector<std::string> elements = element_ids(id);
  {
    std::lock_guard lock(mutex_);
    for (const std::string& element : elements) {
      Tracked& tracked = tracked_[element];
      tracked.cancel_requested = true;
      argv.push_back(join_path(tracked.sandbox, kMarkerDir));
    }
  }
  run(argv);
  run_classified(dialect_->cancel_argv(id));
  wake_poller_soon();
  return statuses({id}).front();
}

}  // namespace cuttle::detail
