// The batch engine's observation: one status command for every job, accounting for the
// jobs the queue forgot, one marker command for every final or missing job, resolution
// (resolution.h), the finish step once per job, and the poll loop that drives it.
#include <algorithm>

#include "adaptors/batch/array_job.h"
#include "adaptors/batch/batch_scheduler.h"
#include "adaptors/batch/job_script.h"
#include "adaptors/batch/resolution.h"
#include "adaptors/batch/text.h"
#include "cuttle/error.h"
#include "internal/finish_step.h"
#include "internal/log.h"
#include "internal/path_text.h"
#include "internal/stage_out_plan.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail {
namespace {

constexpr const char* kComponent = "batch";

// The jobs of `parsed` that are among `ids`, keyed and named by the id the caller holds
// (the scheduler may print another form of it: BatchDialect::canonical_id).
std::map<std::string, NativeJob> by_caller_id(const BatchDialect& dialect,
                                              const std::vector<std::string>& ids,
                                              std::vector<NativeJob> parsed) {
  std::map<std::string, std::string> wanted;  // canonical -> the id the caller holds
  for (const std::string& id : ids) wanted[dialect.canonical_id(id)] = id;
  std::map<std::string, NativeJob> found;
  for (NativeJob& job : parsed) {
    auto it = wanted.find(dialect.canonical_id(job.id));
    if (it == wanted.end()) continue;
    job.id = it->second;
    found[it->second] = std::move(job);
  }
  return found;
}

}  // namespace

std::map<std::string, NativeJob> BatchScheduler::query_status(const std::vector<std::string>& ids) {
  for (int attempt = 0;; ++attempt) {
    const std::vector<std::string> argv = dialect_->status_argv(ids);
    CommandResult result = run(argv);
    const CommandOutcome outcome = dialect_->classify(argv, result);
    if (outcome == CommandOutcome::kFailed && attempt == 0 && dialect_->fall_back_status(result)) {
      continue;
    }
    raise_for(argv, outcome, result);
    if (outcome != CommandOutcome::kOk && outcome != CommandOutcome::kUnknownJob) return {};
    return by_caller_id(*dialect_, ids, dialect_->parse_status(result.stdout_text));
  }
}

std::map<std::string, NativeJob> BatchScheduler::query_accounting(
    const std::vector<std::string>& ids) {
  std::map<std::string, NativeJob> found;
  {
    std::lock_guard lock(mutex_);
    if (accounting_ == Accounting::kDisabled) return found;
  }
  const auto argv = dialect_->accounting_argv(ids);
  if (!argv) {
    std::lock_guard lock(mutex_);
    accounting_ = Accounting::kDisabled;
    return found;
  }
  const CommandResult result = run(*argv);
  switch (dialect_->classify(*argv, result)) {
    case CommandOutcome::kAccountingDisabled: {
      std::lock_guard lock(mutex_);
      accounting_ = Accounting::kDisabled;
      log(LogLevel::kInfo, kComponent, "accounting storage is disabled; using marker files",
          {{"scheduler", runner_->describe()}});
      return found;
    }
    case CommandOutcome::kOk:
      break;
    case CommandOutcome::kUnknownJob:
      return found;
    default:
      log(LogLevel::kWarn, kComponent, "accounting did not answer",
          {{"stderr", first_line(result.stderr_text)}});
      return found;
  }
  {
    std::lock_guard lock(mutex_);
    accounting_ = Accounting::kEnabled;
  }
  return by_caller_id(*dialect_, ids, dialect_->parse_accounting(result.stdout_text));
}

void BatchScheduler::locate_sandboxes(const std::vector<std::string>& ids) {
  std::vector<std::string> unknown;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& id : ids) {
      auto it = tracked_.find(id);
      if (it == tracked_.end() || it->second.sandbox.empty()) unknown.push_back(id);
    }
  }
  if (unknown.empty()) return;
  // A job submitted by another process that already left the queue: its sandbox
  // recorded the backend id at submit. One command for all such ids.
  const std::string root = sandbox_root();
  std::vector<std::string> argv = {
      "/bin/sh", "-c",
      "cd \"$1\" 2>/dev/null || exit 0; shift; grep -H -x -F \"$@\" -- */.cuttle/backend "
      "2>/dev/null; exit 0",
      "sh", root};
  // An array element's sandbox is in its array's: found by the array's id.
  auto recorded_id = [](const std::string& id) {
    const auto element = parse_array_element_id(id);
    return element ? element->first : id;
  };
  for (const std::string& id : unknown) {
    argv.push_back("-e");
    argv.push_back(recorded_id(id));
  }
  const CommandResult result = run(argv);
  for (std::string_view line : split_lines(result.stdout_text)) {
    const std::size_t slash = line.find('/');
    const std::size_t colon = line.rfind(':');
    if (slash == std::string_view::npos || colon == std::string_view::npos) continue;
    const std::string key(line.substr(0, slash));
    const std::string recorded(line.substr(colon + 1));
    if (!job_key_from_name(key)) continue;
    for (const std::string& id : unknown) {
      if (recorded_id(id) != recorded) continue;
      const auto element = parse_array_element_id(id);
      std::lock_guard lock(mutex_);
      Tracked& tracked = tracked_[id];
      if (tracked.sandbox.empty()) {
        tracked.sandbox =
            element ? element_sandbox(join_path(root, key), element->second) : join_path(root, key);
      }
    }
  }
}

void BatchScheduler::remember(const std::string& id, const NativeJob* job) {
  std::string root;
  std::optional<std::string> key;
  if (job) key = job_key_from_name(job->name);
  if (key) root = sandbox_root();
  std::lock_guard lock(mutex_);
  Tracked& tracked = tracked_[id];
  if (tracked.sandbox.empty() && key) {
    tracked.sandbox = join_path(root, *key);
    if (auto element = parse_array_element_id(id)) {
      tracked.sandbox = element_sandbox(tracked.sandbox, element->second);
    }
  }
  if (tracked.job_name.empty() && job) tracked.job_name = job->name;
}

std::map<std::string, JobStatus> BatchScheduler::observe(const std::vector<std::string>& ids) {
  std::map<std::string, NativeJob> queue = query_status(ids);
  std::vector<std::string> missing;
  for (const std::string& id : ids) {
    if (queue.count(id)) {
      remember(id, &queue[id]);
    } else {
      missing.push_back(id);
    }
  }
  std::map<std::string, NativeJob> accounting;
  if (!missing.empty()) accounting = query_accounting(missing);
  for (auto& [id, job] : accounting) remember(id, &job);
  locate_sandboxes(missing);

  std::map<std::string, Tracked> tracked;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& id : ids) {
      auto it = tracked_.find(id);
      if (it != tracked_.end()) tracked[id] = it->second;
    }
  }
  auto find = [](auto& map, const std::string& id) {
    auto it = map.find(id);
    return it == map.end() ? std::nullopt : std::optional(it->second);
  };

  std::vector<std::string> sandboxes;
  for (const std::string& id : ids) {
    auto it = tracked.find(id);
    if (it == tracked.end() || it->second.sandbox.empty()) continue;
    if (needs_marker(find(queue, id), find(accounting, id)))
      sandboxes.push_back(it->second.sandbox);
  }
  std::map<std::string, MarkerState> markers;
  if (!sandboxes.empty()) {
    // The record outranks the scheduler's word for a job that ended: a state decided
    // without it could differ from what every later reader derives. A failed read is a
    // failed observation (the poller changes nothing and asks again), never a guess.
    const std::vector<std::string> argv = read_markers_argv(sandboxes);
    const CommandResult result = run(argv);
    if (result.exit_code != 0) throw CommandFailed(argv, result.exit_code, result.stderr_text);
    markers = parse_markers(result.stdout_text, sandboxes);
  }

  std::map<std::string, JobStatus> resolved;
  const TimePoint now = Clock::now();
  for (const std::string& id : ids) {
    auto it = tracked.find(id);
    const bool is_tracked = it != tracked.end();
    Observation o;
    o.id = id;
    o.queue = find(queue, id);
    o.accounting = find(accounting, id);
    if (is_tracked) {
      o.cancel_requested = it->second.cancel_requested;
      o.missing_since = it->second.missing.since();
      if (!it->second.sandbox.empty()) o.marker = find(markers, it->second.sandbox);
    }
    o.now = now;
    o.lost_rule = LostRule(settings_.lost_grace);
    o.record_wait = settings_.cancel_grace + std::chrono::seconds(10);
    Resolution r = resolve(o);
    if (is_tracked) {
      std::lock_guard lock(mutex_);
      Tracked& t = tracked_[id];
      if (r.missing) {
        t.missing.missing(now);
      } else {
        t.missing.found();
      }
    }
    if (r.status && is_tracked && !it->second.sandbox.empty()) {
      record_never_satisfied(o, it->second.sandbox);
    }
    if (r.status) {
      if (is_tracked && !it->second.sandbox.empty()) {
        r.status->scheduler_info["sandbox"] = it->second.sandbox;
      }
      // The scheduler's limit is a backstop past the wrapper's (scheduler_view); when the
      // allocation is known, the deadline is the one the wrapper enforces.
      if (is_tracked && it->second.max_runtime && r.status->started) {
        r.status->deadline = *r.status->started + *it->second.max_runtime;
      }
      resolved[id] = std::move(*r.status);
    }
  }
  return resolved;
}

// The scheduler forgets a job whose dependency can never be met (Slurm cancels it); its
// wrapper never ran to record why. The engine records it as the wrapper would have, so
// that a process that asks after the queue forgot the job still derives Error, not "lost".
void BatchScheduler::record_never_satisfied(const Observation& o, const std::string& sandbox) {
  const NativeJob* source = o.queue ? &*o.queue : (o.accounting ? &*o.accounting : nullptr);
  if (!source || !source->dependency_never_satisfied || (o.marker && o.marker->exit_code)) return;
  try {
    files_->write_file(join_path(join_path(sandbox, kMarkerDir), "exit"), kDependencyExitMarker,
                       0644);
  } catch (const Error& e) {
    log(LogLevel::kWarn, kComponent, "could not record the unsatisfiable dependency",
        {{"id", o.id}, {"error", e.what()}});
  }
}

void BatchScheduler::finish_job(JobStatus& status) {
  Tracked tracked;
  {
    std::lock_guard lock(mutex_);
    auto it = tracked_.find(status.id);
    if (it == tracked_.end() || it->second.sandbox.empty()) return;
    tracked = it->second;
  }
  finish_in(status, tracked.sandbox, tracked.description);
}

void BatchScheduler::finish_in(JobStatus& status, const std::string& sandbox_path,
                               const std::optional<JobDescription>& description) {
  const std::string root = sandbox_root();
  const std::string key = sandbox_path.substr(sandbox_path.rfind('/') + 1);
  // A sandbox under another root, or an array element's directory (its array finishes).
  if (sandbox_path != join_path(root, key)) return;
  write_backend_records();  // before the sandbox may go
  Sandbox sandbox(files_, root, key);
  FinishPlan plan;
  plan.stage_out =
      description ? description->stage_out : read_stage_out_plan(*files_, sandbox_path);
  plan.cleanup = settings_.cleanup;
  LocalFileSystem client;
  run_finish_step(status, sandbox, *files_, client, plan,
                  [this](const JobStatus& staging) { publish(staging); });
}

JobStatus BatchScheduler::publish_observed(JobStatus status) {
  const std::optional<JobStatus> previous = cached(status.id);
  if (is_final(status.state) && !(previous && previous->done())) finish_job(status);
  if (previous) {
    status.attempt = previous->attempt;
    if (!status.submitted) status.submitted = previous->submitted;
    // Keys such as name and sandbox stay known; "reason" describes one observation
    // only (a Completed job must not keep the "Priority" it had while pending).
    for (const auto& [key, value] : previous->scheduler_info) {
      if (key != "reason") status.scheduler_info.emplace(key, value);
    }
  }
  return publish(std::move(status));
}

void BatchScheduler::ensure_poller() {
  // Not owned by a shared_ptr: callers poll through statuses().
  if (auto weak = weak_from_this(); !weak.expired()) poll_.start(weak, &BatchScheduler::poll_round);
}

void BatchScheduler::wake_poller_soon() {
  ensure_poller();
  poll_.wake_soon();
}

std::vector<std::string> BatchScheduler::active_ids() const {
  std::vector<std::string> ids;
  {
    std::lock_guard guard(mutex_);
    for (const auto& [id, tracked] : tracked_) ids.push_back(id);
  }
  std::vector<std::string> active;
  for (const std::string& id : ids) {
    auto status = cached(id);
    if (!status || !status->done()) active.push_back(id);
  }
  return active;
}

bool BatchScheduler::poll_round() {
  write_backend_records();
  const std::vector<std::string> active = active_ids();
  bool changed = false;
  if (!active.empty()) {
    try {
      std::lock_guard guard(observe_mutex_);
      for (auto& [id, status] : observe(active)) {
        const auto previous = cached(id);
        const JobStatus now = publish_observed(std::move(status));
        if (!previous || previous->state != now.state) changed = true;
      }
      publish_arrays_of(active);
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, kComponent, "poll failed; no job changes state",
          {{"scheduler", runner_->describe()}, {"error", e.what()}});
    }
  }
  return changed;
}

}  // namespace cuttle::detail
