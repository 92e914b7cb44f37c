// kubernetes:// work in core's poll loop: finishing ended jobs (logs first, then the final
// status, then the TTL), quota retries, blocked pods past their grace, deleted and lost
// Jobs, pods stuck Terminating after a cancel.
#include <filesystem>
#include <fstream>

#include "adaptors/kubernetes/final_record.h"
#include "adaptors/kubernetes/job_manifest.h"
#include "adaptors/kubernetes/job_steps.h"
#include "adaptors/kubernetes/kubernetes_scheduler.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

std::string output_file(const std::string& directory, const std::string& given,
                        const char* fallback) {
  if (given.empty()) return directory + "/" + fallback;
  if (given.front() == '/') return given;
  return directory + "/" + given;
}

bool stuck_terminating(const nlohmann::json& pod) {
  return pod.is_object() && pod["metadata"].contains("deletionTimestamp");
}

}  // namespace

std::shared_ptr<FileSystem> KubernetesScheduler::job_files() {
  return std::make_shared<LocalFileSystem>();
}

std::string KubernetesScheduler::log_directory(const std::string& id) const {
  return options_.logs_root + "/" + id;
}

std::chrono::milliseconds KubernetesScheduler::grace_for(const std::string& blocked_by) const {
  if (blocked_by == "Unschedulable") return options_.unschedulable_grace;
  if (blocked_by == "CreateContainerConfigError" || blocked_by == "RunContainerError") {
    return options_.config_grace;
  }
  return options_.image_grace;
}

bool KubernetesScheduler::poll_round() {
  std::vector<std::string> ids;
  std::vector<std::string> dirty;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, job] : jobs_) {
      if (job.finished) continue;
      ids.push_back(id);
      if (job.dirty) dirty.push_back(id);
      job.dirty = false;
    }
  }
  for (const std::string& id : dirty) update(id);
  const TimePoint now = Clock::now();
  bool reaping = false;
  try {
    reap_pods(now);
  } catch (const Error& e) {
    log(LogLevel::kInfo, "kubernetes", "reaping pods failed", {{"error", e.what()}});
  }
  {
    std::lock_guard lock(mutex_);
    reaping = !reaping_.empty();
  }
  for (const std::string& id : ids) {
    try {
      housekeep(id, now);
    } catch (const Error& e) {
      // Transient (server restarting, 5xx): the next round tries again.
      log(LogLevel::kInfo, "kubernetes", "housekeeping failed", {{"job", id}, {"error", e.what()}});
    }
  }
  return !ids.empty() || reaping;
}

void KubernetesScheduler::housekeep(const std::string& id, TimePoint now) {
  Job job;
  {
    std::lock_guard lock(mutex_);
    job = jobs_.at(id);
  }
  if (job.finished) return;
  if (job.cancelled) return;
  if (!job.created) {
    if (now < job.next_create || !job.description) return;
    const bool created = create_job(id, *job.description);
    std::lock_guard lock(mutex_);
    Job& stored = jobs_.at(id);
    stored.created = created;
    stored.next_create = now + options_.quota_retry;
    return;
  }
  if (job.final_outcome) {
    finish(id, *job.final_outcome, !job.deleted);
    return;
  }
  if (job.wrapped && job.description && !job.deleted && job.pod.is_object()) {
    const bool running =
        job_outcome(job_informer_->get(job_object_name(id)).value_or(nullptr), job.pod).state ==
        JobState::kRunning;
    if (running && !job.staged_in) return stage_in(id, job);
    // With steps, the main container (the last step) starts after the init containers.
    if (running && !job.command_done && container_running(job.pod, kMainContainer)) {
      return collect_outputs(id, job);
    }
  }
  if (job.deleted) {
    Outcome outcome;
    outcome.state = JobState::kError;
    outcome.native_state = "Deleted";
    outcome.error = "the Job was deleted before it finished";
    outcome.reason = outcome.error;
    finish(id, outcome, false);
    return;
  }
  if (!job.blocked_by.empty() && now - job.blocked_since >= grace_for(job.blocked_by)) {
    Outcome outcome =
        job_outcome(job_informer_->get(job_object_name(id)).value_or(nullptr), job.pod);
    outcome.state = JobState::kError;
    outcome.error = job.blocked_by + " for longer than its grace" +
                    (outcome.blocked_message.empty() ? "" : ": " + outcome.blocked_message);
    outcome.reason = outcome.error;
    {
      std::lock_guard lock(mutex_);
      jobs_.at(id).cancelled = true;  // its deletion must not read as "deleted behind our back"
    }
    delete_job_and_reap(id);
    finish(id, outcome, false);
    return;
  }
  if (job_informer_->synced() && !job_informer_->get(job_object_name(id))) {
    std::optional<TimePoint> since;
    {
      std::lock_guard lock(mutex_);
      since = jobs_.at(id).missing.missing(now);
    }
    if (options_.lost_rule.lost(since, now)) {
      Outcome outcome;
      outcome.state = JobState::kError;
      outcome.native_state = "lost";
      outcome.reason = "lost";
      outcome.error = "the Job " + job_object_name(id) + " is not in namespace " + namespace_;
      finish(id, outcome, false);
    }
  }
}

void KubernetesScheduler::finish(const std::string& id, Outcome outcome, bool patch_ttl) {
  std::lock_guard finishing(finish_mutex_);
  Job job;
  {
    std::lock_guard lock(mutex_);
    job = jobs_.at(id);
    if (job.finished) return;
  }
  JobStatus status = status_from(id, job, outcome);
  if (!job.pod.is_null() && !status.scheduler_info.count("pod")) {
    status.scheduler_info["pod"] = job.pod["metadata"].value("name", "");
  }
  fetch_logs(id, job, status);
  apply_staging_outcome(id, job, status);
  write_final_record(log_directory(id), status);
  {
    std::lock_guard lock(mutex_);
    jobs_.at(id).finished = true;
  }
  publish(status);
  if (!patch_ttl || options_.ttl_after_finished.count() <= 0) return;
  nlohmann::json patch = {
      {"spec", {{"ttlSecondsAfterFinished", options_.ttl_after_finished.count()}}}};
  ApiResponse response =
      api_->request("PATCH", job_path(id), patch.dump(), "application/merge-patch+json");
  if (response.status != 200 && response.status != 404) {
    log(LogLevel::kWarn, "kubernetes", "could not set the Job's TTL",
        {{"job", job_object_name(id)}, {"error", response.describe()}});
  }
}

void KubernetesScheduler::fetch_logs(const std::string& id, const Job& job, JobStatus& status) {
  const std::string directory = log_directory(id);
  const std::string out = output_file(
      directory, job.description ? job.description->stdout_path : std::string(), "stdout.txt");
  const std::string err = output_file(
      directory, job.description ? job.description->stderr_path : std::string(), "stderr.txt");
  status.scheduler_info["stdout"] = out;
  status.scheduler_info["stderr"] = err;
  std::string text;
  std::string problem;
  auto pod = status.scheduler_info.find("pod");
  if (pod == status.scheduler_info.end() || pod->second.empty()) {
    problem = "no pod ran";
  } else {
    // A job with steps: each step's log in the order they ran (docs/steps.md: the job's
    // stdout receives every step's output without a path of its own).
    std::vector<std::string> containers = containers_in_order(job.pod);
    if (containers.empty()) containers = {kMainContainer};
    for (const std::string& container : containers) {
      const std::size_t budget = options_.logs_limit - std::min(text.size(), options_.logs_limit);
      bool truncated = false;
      ApiResponse response = api_->get_bounded(
          collection("/api/v1", "pods") + "/" + pod->second + "/log?container=" + container +
              "&limitBytes=" + std::to_string(std::max<std::size_t>(budget, 1)),
          budget, truncated);
      if (response.status == 200) {
        text += response.body.substr(0, budget);
        if (truncated || budget == 0) status.scheduler_info["logs_truncated"] = "true";
      } else if (container == kMainContainer || containers.size() == 1) {
        // An earlier step that never started has no log (400); the main one decides.
        problem = "pods/log: " + response.describe();
      }
    }
  }
  if (!problem.empty()) status.scheduler_info["logs"] = "unavailable: " + problem;
  std::error_code ignored;
  std::filesystem::create_directories(directory, ignored);
  for (const std::string& path : {out, err}) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    // pods/log is the container's stdout and stderr in one stream, as kubectl logs shows it.
    if (path == out) file << text;
    if (!file) {
      log(LogLevel::kWarn, "kubernetes", "could not write the job's log",
          {{"job", id}, {"path", path}});
    }
  }
}

void KubernetesScheduler::delete_job(const std::string& id) {
  ApiResponse response = api_->request("DELETE", job_path(id),
                                       R"({"kind":"DeleteOptions","apiVersion":"v1",)"
                                       R"("propagationPolicy":"Background"})");
  if (response.status != 200 && response.status != 202 && response.status != 404) {
    throw ConnectionFailed("delete " + job_object_name(id) + ": " + response.describe());
  }
}

void KubernetesScheduler::delete_job_and_reap(const std::string& id) {
  delete_job(id);
  std::lock_guard lock(mutex_);
  const nlohmann::json& pod = jobs_.at(id).pod;
  if (pod.is_object()) {
    reaping_[pod["metadata"].value("name", "")] = Clock::now() + options_.cancel_grace;
  }
}

void KubernetesScheduler::reap_pods(TimePoint now) {
  std::vector<std::string> due;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, when] : reaping_) {
      if (now >= when) due.push_back(name);
    }
  }
  for (const std::string& name : due) {
    std::optional<nlohmann::json> pod = pod_informer_->get(name);
    if (pod && stuck_terminating(*pod)) {
      ApiResponse response =
          api_->request("DELETE", collection("/api/v1", "pods") + "/" + name,
                        R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0})");
      if (response.status != 200 && response.status != 404) {
        log(LogLevel::kWarn, "kubernetes", "could not force-delete a pod stuck Terminating",
            {{"pod", name}, {"error", response.describe()}});
        continue;
      }
    } else if (pod) {
      continue;  // not marked for deletion yet: the garbage collector is behind
    }
    std::lock_guard lock(mutex_);
    reaping_.erase(name);
  }
}

}  // namespace cuttle::detail
