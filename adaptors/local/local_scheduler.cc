// LocalScheduler: submit (attached or detached), the concurrency limit, cancel with a
// grace period, extend. Exits and the finish step are in local_exits.cc, re-attaching
// to detached jobs in local_reattach.cc; the Job record is in local_job.h.
// (~480 lines: submit's attached and detached preparation share the spawn path and the
// slot accounting with cancel; splitting them further would export private helpers.)
#include "adaptors/local/local_scheduler.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>

#include "adaptors/local/background.h"
#include "adaptors/local/detached_record.h"
#include "adaptors/local/launch_check.h"
#include "adaptors/local/local_job.h"
#include "cuttle/error.h"
#include "cuttle/sandbox.h"
#include "internal/container_runtime.h"
#include "internal/dependency_wait.h"
#include "internal/event_loop.h"
#include "internal/finish_step.h"
#include "internal/log.h"
#include "internal/stage_out_plan.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail::local {

namespace {

std::atomic<std::uint64_t> g_attached_number{1};

bool needs_sandbox(const JobDescription& description) {
  return !description.stage_in.empty() || !description.stage_out.empty();
}

// Every staging path is checked before anything is created, so a refused description
// leaves nothing behind.
void check_staging_paths(const JobDescription& description) {
  for (std::size_t i = 0; i < description.stage_in.size(); ++i) {
    const auto& entry = description.stage_in[i];
    const std::string field = "stage_in[" + std::to_string(i) + "].destination";
    if (!entry.destination.empty()) {
      confine_relative_path(entry.destination, field);
    } else if (!entry.source.empty() && entry.source.front() != '/') {
      confine_relative_path(entry.source, "stage_in[" + std::to_string(i) + "].source");
    }
  }
  for (std::size_t i = 0; i < description.stage_out.size(); ++i) {
    confine_relative_path(description.stage_out[i].source,
                          "stage_out[" + std::to_string(i) + "].source");
  }
}

std::string absolute_in(const std::string& directory, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return directory + "/" + path;
}

std::string current_directory() {
  char buffer[4096];
  return ::getcwd(buffer, sizeof buffer) ? std::string(buffer) : std::string("/");
}

bool can_open(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Names the field at fault when posix_spawn failed (only on this failure path).
[[noreturn]] void throw_spawn_error(const SpawnSpec& spec, int err) {
  const std::string reason = std::strerror(err);
  const std::string wd =
      spec.working_directory.empty() ? current_directory() : spec.working_directory;
  struct stat info;
  if (!spec.working_directory.empty() &&
      (::stat(wd.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
       ::access(wd.c_str(), X_OK) != 0)) {
    throw InvalidJobDescription("working_directory", "cannot enter " + wd);
  }
  if (!spec.stdin_path.empty() && !can_open(absolute_in(wd, spec.stdin_path), O_RDONLY)) {
    throw InvalidJobDescription("stdin_path", "cannot open " + spec.stdin_path);
  }
  if (!spec.stdout_path.empty() &&
      !can_open(absolute_in(wd, spec.stdout_path), O_WRONLY | O_CREAT | O_APPEND)) {
    throw InvalidJobDescription("stdout_path", "cannot open " + spec.stdout_path);
  }
  if (!spec.stderr_path.empty() &&
      !can_open(absolute_in(wd, spec.stderr_path), O_WRONLY | O_CREAT | O_APPEND)) {
    throw InvalidJobDescription("stderr_path", "cannot open " + spec.stderr_path);
  }
  switch (err) {
    case ENOENT:
    case EACCES:
    case ENOEXEC:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case EISDIR:
      throw InvalidJobDescription("executable", "cannot start " + spec.executable + ": " + reason);
    default:
      throw InternalError("local: cannot start " + spec.executable + ": " + reason);
  }
}

void write_file_plain(const std::string& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw StagingFailed("cannot create " + path + ": " + std::strerror(errno));
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      throw StagingFailed("cannot write " + path + ": " + std::strerror(err));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

void kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

LocalScheduler::LocalScheduler(Location location, LocalOptions options)
    : location_(std::move(location)),
      options_(std::move(options)),
      file_system_(std::make_shared<LocalFileSystem>()) {
  // Start the loop (and capture the environment) now rather than inside the first submit.
  EventLoop::shared();
  Environment::inherited();
}

// A `cuttle` command that saw a job finish exits right after: its stage-out and cleanup
// are done before, not dropped with the process (bounded: a huge copy is finished by
// the next reader instead, which finds no stage-out record).
LocalScheduler::~LocalScheduler() { finishing_.wait_idle(std::chrono::seconds(60)); }

Capabilities LocalScheduler::capabilities() const {
  Capabilities c;
  c.staging = true;
  c.detached = options_.detached;
  // A detached job's wrapper enforces max_runtime itself; attached jobs rely on the
  // managed scheduler's timer.
  c.native_time_limit = options_.detached;
  c.extend = options_.detached;
  c.local_sandbox = true;
  c.containers = true;  // when a runtime is installed here: submit probes and says so
  c.steps = true;       // through the wrapper, attached or detached
  // Detached: held by the job's wrapper, which outlives this process (dependency_wait.h);
  // attached: held here, as the job itself lives only as long as this process.
  c.dependencies = true;
  c.launch = true;  // through the wrapper, attached or detached
  c.clean_environment = true;
  return c;
}

std::string LocalScheduler::submit(const JobDescription& description) {
  description.validate();
  check_staging_paths(description);
  // A container job always runs through the wrapper, attached or not: it is what stops
  // and removes the container on cancel and max_runtime and records the runtime's own
  // failures (docs/containers.md). So does a job with steps: the wrapper runs them; and
  // one with a launcher, scripts, modules or a clean environment: the wrapper's shell
  // makes them (docs/launchers.md).
  JobPtr job = options_.detached || !description.container_image.empty() ||
                       !description.steps.empty() || description.shapes_launch()
                   ? prepare_detached(description)
                   : prepare_attached(description);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.emplace(job->id, job);
  }
  if (!options_.detached && !description.dependencies.empty()) {
    hold(job);
    return job->id;
  }
  if (!admit(job)) {
    publish(base_status(*job, JobState::kQueued, "queued"));
    return job->id;
  }
  try {
    start(job);
  } catch (...) {
    release_slot(job);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.erase(job->id);
    }
    if (job->sandbox) {
      try {
        job->sandbox->cleanup();
      } catch (const Error&) {
        // The submit error is what the caller needs; a leftover directory is harmless.
      }
    }
    throw;
  }
  return job->id;
}

LocalScheduler::JobPtr LocalScheduler::prepare_attached(const JobDescription& description) {
  auto job = std::make_shared<Job>();
  job->id = "local-" + std::to_string(g_attached_number.fetch_add(1));
  job->name = description.name;
  job->description = description;
  job->submitted = Clock::now();
  if (!description.environment.empty()) {
    job->environment = Environment::inherited().with(description.environment);
  }
  if (needs_sandbox(description)) {
    job->sandbox = std::make_unique<Sandbox>(file_system_, options_.sandbox_root, new_job_key());
    job->sandbox->create();
    try {
      job->sandbox->stage_in(*file_system_, description);
    } catch (...) {
      job->sandbox->cleanup();
      throw;
    }
  }
  return job;
}

LocalScheduler::JobPtr LocalScheduler::prepare_detached(const JobDescription& description) {
  auto job = std::make_shared<Job>();
  job->id = new_job_key();
  job->name = description.name;
  job->detached = true;
  job->description = description;
  job->submitted = Clock::now();
  job->sandbox = std::make_unique<Sandbox>(file_system_, options_.sandbox_root, job->id);
  const std::string& dir = job->sandbox->path();
  // The sandbox appears with its name: find_by_name after a crash finds it or nothing.
  // ... and with who is submitting it: a search for the name can tell a submit in flight
  // from one its submitter's death interrupted before the job started.
  auto first_files = name_marker(description.name);
  first_files.emplace_back(std::string(kMarkerDir) + "/" + kSubmitterMarker, submitter_record());
  job->sandbox->create(first_files, description.name);
  try {
    job->sandbox->stage_in(*file_system_, description);
    if (!description.stage_out.empty()) {
      write_file_plain(marker_path(dir, kStageOutPlanFile),
                       encode_stage_out_plan(description.stage_out), 0644);
    }
    const std::string submit_directory = current_directory();
    const WrapperPaths paths = wrapper_paths(description, dir, submit_directory);
    // Refuse now what an attached spawn would refuse, rather than a 126/127 exit later.
    check_working_directory(paths.working_directory);
    LocalRunner runner;
    JobDescription launched = resolve_container(description, runner);
    // A step's executable may be written by a step before it, and modules, pre_launch or
    // a clean environment decide the PATH a launched one is found in: looked up when it runs.
    if (launched.container_image.empty() && launched.steps.empty() && !launched.shapes_launch()) {
      launched.executable =
          resolve_executable(description, paths.working_directory, submit_directory);
    }
    job->wrapper = marker_path(dir, "wrapper.sh");
    // In attached mode (a container job or steps) max_runtime and extend stay with the managed
    // scheduler's timer, as for every attached job; its cancel stops the container.
    if (!options_.detached) launched.max_runtime.reset();
    // Attached: held in this process instead (local_dependencies.cc).
    if (!options_.detached) launched.dependencies.clear();
    write_file_plain(job->wrapper, render_wrapper(launched, paths, options_.cancel_grace), 0700);
    if (launched.max_runtime) {
      write_file_plain(marker_path(dir, "allocation"), allocation_marker(*description.max_runtime),
                       0644);
    }
    // Before the spawn: the submitter records the wrapper's pid (pid.start) at once, and a
    // reader must not take a live wrapper without this marker for a running job.
    if (options_.detached && !description.dependencies.empty()) {
      write_file_plain(marker_path(dir, kWaitingMarker), "", 0644);
    }
  } catch (...) {
    job->sandbox->cleanup();
    throw;
  }
  return job;
}

bool LocalScheduler::admit(const JobPtr& job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (options_.max_concurrent != 0 && running_ >= options_.max_concurrent) {
    job->queued = true;
    queue_.push_back(job);
    return false;
  }
  ++running_;
  job->holds_slot = true;
  return true;
}

SpawnSpec LocalScheduler::spawn_spec(const Job& job) const {
  SpawnSpec spec;
  spec.environment = job.environment ? &*job.environment : &Environment::inherited();
  if (job.detached) {
    spec.executable = "/bin/sh";
    spec.argv = {"/bin/sh", job.wrapper};
    spec.working_directory = job.sandbox->path();
    spec.stdout_path = "/dev/null";
    spec.stderr_path = "/dev/null";
    spec.new_session = true;
    return spec;
  }
  const JobDescription& d = job.description;
  spec.executable = d.executable;
  spec.argv.reserve(d.arguments.size() + 1);
  spec.argv.push_back(d.executable);
  spec.argv.insert(spec.argv.end(), d.arguments.begin(), d.arguments.end());
  spec.working_directory = d.working_directory;
  if (spec.working_directory.empty() && job.sandbox) spec.working_directory = job.sandbox->path();
  spec.stdin_path = d.stdin_path;
  spec.stdout_path = d.stdout_path;
  spec.stderr_path = d.stderr_path;
  return spec;
}

void LocalScheduler::start(const JobPtr& job) {
  const SpawnSpec spec = spawn_spec(*job);
  const pid_t pid = spawn_process(spec);
  if (pid < 0) throw_spawn_error(spec, -pid);
  const int fd = open_pidfd(pid);
  if (fd < 0) {
    const int err = errno;
    kill_and_reap(pid);
    throw InternalError(std::string("local: pidfd_open failed: ") + std::strerror(err));
  }
  std::uint64_t ticks = 0;
  if (job->detached) {
    try {
      ticks = process_start_time(pid).value_or(0);
      write_marker(job->sandbox->path(), "pid.start",
                   std::to_string(pid) + " " + std::to_string(ticks));
    } catch (...) {
      ::close(fd);
      kill_and_reap(pid);
      throw;
    }
  }
  bool cancelled;
  // A job with dependencies waits in its wrapper first; a later read of its record shows
  // when it runs.
  const bool held = job->detached && !job->description.dependencies.empty();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job->pid = pid;
    job->start_ticks = ticks;
    // A held job starts when its wrapper's wait ends: the pid marker's rewrite says when.
    if (!held) job->started = Clock::now();
    job->queued = false;
    job->watching = true;
    cancelled = job->cancel_requested;
    // Only the stage-out list is needed from here on.
    JobDescription kept;
    kept.stage_out = std::move(job->description.stage_out);
    job->description = std::move(kept);
    job->environment.reset();
  }
  publish(held ? waiting_status(*job) : base_status(*job, JobState::kRunning, "running"));
  watch(job, fd);
  release_held();  // after_start
  if (cancelled) {
    signal_group(job, SIGTERM);
    if (!job->detached) arm_kill_timer(job);
  }
}

void LocalScheduler::start_queued(const JobPtr& job) {
  try {
    start(job);
  } catch (const Error& e) {
    JobStatus status = base_status(*job, JobState::kError, "spawn failed");
    status.reason = e.what();
    status.error = e.what();
    status.finished = Clock::now();
    release_slot(job);
    conclude(job, std::move(status));
  }
}

void LocalScheduler::signal_group(const JobPtr& job, int signal) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (job->exited || job->pid <= 0) return;
  if (!job->child) {
    // Not our child: the pid could have been reused since; only signal our wrapper.
    auto ticks = process_start_time(job->pid);
    if (!ticks || *ticks != job->start_ticks) return;
  }
  ::kill(-job->pid, signal);
}

void LocalScheduler::arm_kill_timer(const JobPtr& job) {
  auto& context = EventLoop::shared().context();
  boost::asio::post(context,
                    [weak = weak_from_this(), job, grace = options_.cancel_grace, &context] {
                      if (job->exited) return;
                      job->kill_timer = std::make_unique<boost::asio::steady_timer>(context, grace);
                      job->kill_timer->async_wait([weak, job](const boost::system::error_code& ec) {
                        if (ec) return;
                        if (auto self = weak.lock()) {
                          self->signal_group(job, SIGKILL);
                        } else if (!job->exited && job->child) {
                          ::kill(-job->pid, SIGKILL);
                        }
                      });
                    });
}

JobStatus LocalScheduler::cancel(const std::string& id) {
  JobPtr job = find(id);
  if (!job) {
    if (!options_.detached) throw NoSuchJob(id);
    job = attach(id);
  }
  bool was_queued = false;
  bool newly = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Finished, finishing or already cancelled: nothing to do.
    if (!job->concluded && !job->exited && !job->cancel_requested) {
      newly = true;
      job->cancel_requested = true;
      if (job->queued) {
        job->queued = false;
        was_queued = true;
        for (auto it = queue_.begin(); it != queue_.end(); ++it) {
          if (*it == job) {
            queue_.erase(it);
            break;
          }
        }
        std::erase(held_, job);
      }
    }
  }
  if (!newly) return status(id);
  if (job->detached) {
    try {
      write_marker(job->sandbox->path(), "cancelled", "");
    } catch (const Error& e) {
      log(LogLevel::kWarn, "local", "cannot write the cancelled marker",
          {{"job", id}, {"error", e.what()}});
    }
  }
  if (was_queued) {
    JobStatus status = base_status(*job, JobState::kCancelled, "cancelled");
    status.reason = "cancelled by user before it started";
    status.finished = Clock::now();
    conclude(job, std::move(status));
    release_held();
  } else {
    signal_group(job, SIGTERM);
    // A detached job's wrapper escalates to SIGKILL itself, watched or not.
    if (!job->detached) arm_kill_timer(job);
  }
  auto now = cached(id);
  return now ? *now : base_status(*job, JobState::kRunning, "running");
}

JobStatus LocalScheduler::extend(const std::string& id, std::chrono::seconds by) {
  if (!options_.detached) return SchedulerBase::extend(id, by);
  if (by.count() <= 0) throw InvalidArgument("extend: the extension must be positive");
  JobPtr job = find(id);
  if (!job) job = attach(id);
  extend_allocation(*file_system_, job->sandbox->path(), by);
  return status(id);
}

LocalScheduler::JobPtr LocalScheduler::find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second;
}

void LocalScheduler::forget(const std::string& id) {
  if (!finished(id)) return;  // the finish step may still hold it
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = jobs_.find(id);
    if (it != jobs_.end() && it->second->concluded) jobs_.erase(it);
  }
  SchedulerBase::forget(id);
}

std::string LocalScheduler::sandbox_of(const std::string& id) const {
  return options_.sandbox_root + "/" + id;
}

JobStatus LocalScheduler::base_status(const Job& job, JobState state, std::string native) const {
  JobStatus status;
  status.id = job.id;
  status.state = state;
  status.native_state = std::move(native);
  status.submitted = job.submitted;
  status.started = job.started;
  if (job.pid > 0) status.scheduler_info["pid"] = std::to_string(job.pid);
  if (job.sandbox) status.scheduler_info["sandbox"] = job.sandbox->path();
  return status;
}

JobStatus LocalScheduler::waiting_status(const Job& job) const {
  JobStatus status = base_status(job, JobState::kQueued, "waiting");
  status.reason = "waiting for dependencies";
  status.started.reset();  // the wrapper started; the job has not
  return status;
}

}  // namespace cuttle::detail::local
