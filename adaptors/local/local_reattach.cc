// LocalScheduler's lookups and re-attaching: statuses, track, a detached job rebuilt
// from its sandbox (watched through a pidfd while its wrapper runs), jobs, find_by_name.
#include "adaptors/local/local_scheduler.h"

#include <dirent.h>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "adaptors/local/background.h"
#include "adaptors/local/detached_record.h"
#include "adaptors/local/local_job.h"
#include "cuttle/error.h"
#include "internal/event_loop.h"
#include "internal/finish_step.h"
#include "internal/log.h"
#include "internal/stage_out_plan.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail::local {

std::vector<JobStatus> LocalScheduler::statuses(const std::vector<std::string>& ids) {
  std::vector<JobStatus> result;
  result.reserve(ids.size());
  for (const std::string& id : ids) {
    JobPtr job = find(id);
    if (!job) {
      if (!options_.detached) throw NoSuchJob(id);
      job = attach(id);
    }
    bool refresh;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      refresh = job->detached && !job->watching && !job->concluded && !job->queued;
    }
    if (refresh) {
      result.push_back(observe_detached(job));
      continue;
    }
    auto status = cached(id);
    result.push_back(status ? *status : base_status(*job, JobState::kNew, "new"));
  }
  return result;
}

void LocalScheduler::track(const std::string& id) {
  if (find(id)) return;
  if (!options_.detached) throw NoSuchJob(id);
  attach(id);
}

LocalScheduler::JobPtr LocalScheduler::attach(const std::string& id) {
  if (!is_job_key(id)) throw NoSuchJob(id);
  const std::string dir = sandbox_of(id);
  if (!read_record(dir).exists) throw NoSuchJob(id);
  auto job = std::make_shared<Job>();
  job->id = id;
  job->detached = true;
  job->child = false;
  job->name = read_marker(dir, "name");
  job->sandbox = std::make_unique<Sandbox>(file_system_, options_.sandbox_root, id);
  struct stat info;
  if (::stat(dir.c_str(), &info) == 0) {
    job->submitted = TimePoint(std::chrono::seconds(info.st_mtim.tv_sec));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = jobs_.emplace(id, job);
    if (!inserted) return it->second;
  }
  observe_detached(job);
  return job;
}

// Reads a detached job's sandbox and publishes what it shows; starts watching the
// wrapper through a pidfd while it still runs.
JobStatus LocalScheduler::observe_detached(const JobPtr& job) {
  const std::string& dir = job->sandbox->path();
  for (int attempt = 0; attempt < 3; ++attempt) {
    DetachedRecord record = read_record(dir);
    if (!record.exists) throw NoSuchJob(job->id);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job->started = record.markers.started;
    }
    if (!record.markers.exit_code && record.pid && wrapper_alive(record)) {
      int fd = open_pidfd(*record.pid);
      // Checked again with the pidfd held: it now names that very process.
      if (fd >= 0 && !wrapper_alive(record)) {
        ::close(fd);
        fd = -1;
      }
      if (fd < 0) continue;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (job->watching || job->concluded) {
          ::close(fd);
          break;
        }
        job->pid = *record.pid;
        job->start_ticks = *record.start_ticks;
        job->watching = true;
      }
      JobStatus running = publish(
          record.markers.waiting ? base_status(*job, JobState::kQueued, "waiting for dependencies")
                                 : base_status(*job, JobState::kRunning, "running"));
      watch(job, fd);
      return running;
    }
    if (!record.markers.exit_code && !record.pid && !record.markers.cancelled) {
      return publish(base_status(*job, JobState::kQueued, "starting"));
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job->exited = true;
    }
    conclude(job, final_status(*job, std::nullopt));
    break;
  }
  auto status = cached(job->id);
  return status ? *status : base_status(*job, JobState::kNew, "new");
}

std::vector<std::string> LocalScheduler::jobs(const std::string& queue) {
  if (!queue.empty()) return {};
  if (!options_.detached) {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_of(jobs_);
  }
  std::vector<std::string> ids;
  DIR* directory = ::opendir(options_.sandbox_root.c_str());
  if (!directory) return ids;
  while (const dirent* entry = ::readdir(directory)) {
    std::string name = entry->d_name;
    if (is_job_key(name) && ::access((sandbox_of(name) + "/" + kMarkerDir).c_str(), F_OK) == 0) {
      ids.push_back(name);
    }
  }
  ::closedir(directory);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> LocalScheduler::find_by_name(const std::string& name) {
  std::vector<std::string> ids;
  if (!options_.detached) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, job] : jobs_) {
      if (job->name == name) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  for (const std::string& id : jobs()) {
    // As the job's Sandbox spelled it (normalised): the wrapper's argv names this path.
    const std::string sandbox = Sandbox(file_system_, options_.sandbox_root, id).path();
    if (read_marker(sandbox, "name") != name) continue;
    if (never_started(sandbox)) {
      // Its submitter died before the job started: the caller's new submit replaces it.
      log(LogLevel::kInfo, "local", "removing the sandbox of an interrupted submit",
          {{"sandbox", sandbox}, {"name", name}});
      file_system_->remove_all(sandbox);
      continue;
    }
    ids.push_back(id);
  }
  // What a crash inside Sandbox::create left of this name's submit: never started.
  Sandbox::remove_partials(*file_system_, options_.sandbox_root, name);
  return ids;
}

}  // namespace cuttle::detail::local
