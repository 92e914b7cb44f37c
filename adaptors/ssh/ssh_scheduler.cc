// The ssh:// scheduler: submit through the wrapper, one marker-reading command per poll,
// cancel by process group, staging through SFTP.
#include "adaptors/ssh/ssh_scheduler.h"

#include "cuttle/error.h"
#include "internal/exit_joins.h"
#include "internal/log.h"
#include "internal/stage_out_plan.h"

namespace cuttle::detail {
namespace {

// Starts the wrapper in its own session, immune to the hang-up of a dropped connection,
// and prints its pid (= its process group id, since setsid makes it a group leader).
constexpr const char* kLaunchScript =
    "cd \"$1\" || exit 126\n"
    "if command -v setsid >/dev/null 2>&1; then\n"
    "  setsid nohup /bin/sh \"$2\" </dev/null >/dev/null 2>&1 &\n"
    "else\n"
    "  nohup /bin/sh \"$2\" </dev/null >/dev/null 2>&1 &\n"
    "fi\n"
    "echo \"$!\"\n";

// Writes the cancelled marker first (so the outcome reads Cancelled, not Failed), then
// TERMs the job's process group and KILLs it after the grace period. Exit 3: the job had
// already finished and nothing was done.
constexpr const char* kCancelScript =
    "m=\"$1/.cuttle\"\n"
    "[ -f \"$m/exit\" ] && exit 3\n"
    "i=0\n"
    "while [ ! -s \"$m/pid\" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done\n"
    "[ -f \"$m/exit\" ] && exit 3\n"
    ": > \"$m/cancelled\"\n"
    "pid=$(head -c 32 \"$m/pid\" 2>/dev/null)\n"
    "[ -n \"$pid\" ] || exit 0\n"
    // (dash's kill takes no "--": -PID names the process group.)
    "kill -TERM -\"$pid\" 2>/dev/null || kill -TERM \"$pid\" 2>/dev/null\n"
    "( sleep \"$2\"; if kill -0 -\"$pid\" 2>/dev/null; then kill -KILL -\"$pid\"; fi ) "
    "</dev/null >/dev/null 2>&1 &\n"
    "exit 0\n";

// Prints the key of every sandbox under $1 whose recorded name is exactly $2.
constexpr const char* kFindByNameScript =
    "for d in \"$1\"/*/; do\n"
    "  d=${d%/}; f=\"$d/.cuttle/name\"\n"
    "  [ -f \"$f\" ] || continue\n"
    "  if printf '%s' \"$2\" | cmp -s - \"$f\"; then printf '%s\\n' \"${d##*/}\"; fi\n"
    "done\n";

std::string absolute_in(const std::string& directory, const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  return directory + "/" + path;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string seconds_text(std::chrono::milliseconds duration) {
  return std::to_string(std::max<long long>(1, (duration.count() + 999) / 1000));
}

CommandResult checked(CommandRunner& runner, const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout,
                      std::initializer_list<int> accepted = {0}) {
  CommandOptions options;
  options.timeout = timeout;
  CommandResult result = runner.run(argv, options);
  for (int code : accepted) {
    if (result.exit_code == code) return result;
  }
  throw CommandFailed(argv, result.exit_code, result.stderr_text);
}

constexpr std::chrono::seconds kRemoteCommandTimeout{60};

}  // namespace

std::vector<PropertyDescriptor> ssh_scheduler_property_descriptors() {
  std::vector<PropertyDescriptor> properties = {
      {"sandbox.root", PropertyType::kString, "~/.cuttle/jobs",
       "directory on the remote host holding one sandbox per job (~ is the remote home)"},
      {"poll.interval", PropertyType::kDuration, "1s",
       "interval between status polls (one remote command for all active jobs)"},
      {"cancel.grace", PropertyType::kDuration, "5s",
       "time between SIGTERM and SIGKILL to the job's process group on cancel"},
      {"start.grace", PropertyType::kDuration, "30s",
       "how long a launched job may take to record its pid before it counts as lost"},
      {"cleanup", PropertyType::kString, "never",
       "when to remove a job's sandbox after stage-out: never, on-success or always"},
  };
  for (PropertyDescriptor& d : ssh_property_descriptors()) properties.push_back(std::move(d));
  return properties;
}

SshSchedulerOptions parse_ssh_scheduler_options(const Properties& properties) {
  SshSchedulerOptions options;
  options.sandbox_root = properties.get_string("sandbox.root");
  if (options.sandbox_root.empty() ||
      (options.sandbox_root.front() != '/' && options.sandbox_root.front() != '~')) {
    throw InvalidArgument("property sandbox.root: must be absolute or start with ~, got '" +
                          options.sandbox_root + "'");
  }
  options.poll_interval = properties.get_duration("poll.interval");
  if (options.poll_interval.count() <= 0)
    throw InvalidArgument("property poll.interval: must be positive");
  options.cancel_grace = properties.get_duration("cancel.grace");
  options.start_grace = properties.get_duration("start.grace");
  options.cleanup = parse_cleanup_policy(properties.get_string("cleanup"));
  return options;
}

std::shared_ptr<SshScheduler> SshScheduler::create(Location location, Remote remote,
                                                   SshSchedulerOptions options) {
  auto scheduler =
      std::make_shared<SshScheduler>(std::move(location), std::move(remote), std::move(options));
  // Exit-aware: at process exit the loop is stopped and waited for before libssh closes.
  std::shared_ptr<PollControl> control = scheduler->control_;
  scheduler->poller_ = start_exit_aware_thread(
      [weak = scheduler->weak_from_this(), control, interval = scheduler->options_.poll_interval] {
        poll_loop(weak, control, interval);
      },
      [control] {
        {
          std::lock_guard lock(control->mutex);
          control->stopping = true;
        }
        control->wake.notify_all();
      });
  return scheduler;
}

SshScheduler::SshScheduler(Location location, Remote remote, SshSchedulerOptions options)
    : location_(std::move(location)),
      remote_(std::move(remote)),
      options_(std::move(options)),
      client_files_(std::make_shared<LocalFileSystem>()) {}

SshScheduler::~SshScheduler() {
  {
    std::lock_guard lock(control_->mutex);
    control_->stopping = true;
  }
  control_->wake.notify_all();
  if (!poller_.joinable()) return;
  // Dropped by the poll thread itself (its last reference, or a listener): it sees
  // `stopping` and returns without touching this object again, and is joined at exit.
  if (poller_.get_id() == std::this_thread::get_id()) {
    join_at_exit(std::move(poller_));
  } else {
    poller_.join();
  }
}

Capabilities SshScheduler::capabilities() const {
  Capabilities c;
  c.staging = true;
  c.detached = true;
  return c;
}

const std::string& SshScheduler::sandbox_root() {
  {
    std::lock_guard lock(mutex_);
    if (!root_.empty()) return root_;
  }
  std::string home = remote_.files->real_path(".");
  std::string root = options_.sandbox_root;
  if (root == "~")
    root = home;
  else if (root.rfind("~/", 0) == 0)
    root = home + root.substr(1);
  remote_.files->create_directories(root, 0700);
  root = remote_.files->real_path(root);
  std::lock_guard lock(mutex_);
  if (root_.empty()) {
    root_ = root;
    home_ = home;
  }
  return root_;
}

std::string SshScheduler::launch(const std::string& sandbox, const std::string& wrapper) {
  CommandResult result =
      checked(*remote_.runner, {"/bin/sh", "-c", kLaunchScript, "sh", sandbox, wrapper},
              kRemoteCommandTimeout);
  std::string pid = result.stdout_text;
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == '\r')) pid.pop_back();
  return pid;
}

std::string SshScheduler::submit(const JobDescription& description) {
  description.validate();
  for (std::size_t i = 0; i < description.stage_out.size(); ++i) {
    confine_relative_path(description.stage_out[i].source,
                          "stage_out[" + std::to_string(i) + "].source");
  }
  const std::string root = sandbox_root();
  std::string home;
  {
    std::lock_guard lock(mutex_);
    home = home_;
  }
  const std::string id = new_job_key();
  Sandbox sandbox(remote_.files, root, id);
  const std::string dir = sandbox.path();
  const std::string markers = dir + "/" + kMarkerDir;
  std::string pid;
  try {
    sandbox.create();
    remote_.files->create_directories(markers, 0700);
    if (!description.name.empty()) remote_.files->write_file(markers + "/name", description.name);
    if (!description.stage_out.empty()) {
      // Kept with the job so that a scheduler object that re-attaches can stage out.
      remote_.files->write_file(markers + "/" + kStageOutPlanFile,
                                encode_stage_out_plan(description.stage_out), 0600);
    }
    sandbox.stage_in(*client_files_, description);
    WrapperPaths paths;
    paths.sandbox = dir;
    paths.working_directory = description.working_directory.empty()
                                  ? dir
                                  : absolute_in(home, description.working_directory);
    const std::string& wd = paths.working_directory;
    paths.stdin_path =
        description.stdin_path.empty() ? "/dev/null" : absolute_in(wd, description.stdin_path);
    paths.stdout_path = description.stdout_path.empty() ? dir + "/stdout.txt"
                                                        : absolute_in(wd, description.stdout_path);
    paths.stderr_path = description.stderr_path.empty() ? dir + "/stderr.txt"
                                                        : absolute_in(wd, description.stderr_path);
    const std::string wrapper = markers + "/wrapper.sh";
    remote_.files->write_file(wrapper, render_wrapper(description, paths), 0700);
    pid = launch(dir, wrapper);
  } catch (...) {
    try {
      sandbox.cleanup();
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, "ssh", "could not remove the sandbox of a failed submit",
          {{"sandbox", dir}, {"error", e.what()}});
    }
    throw;
  }
  Job job;
  job.sandbox = dir;
  job.description = description;
  job.submitted = Clock::now();
  {
    std::lock_guard lock(mutex_);
    jobs_[id] = job;
  }
  JobStatus status;
  status.id = id;
  status.state = JobState::kQueued;
  status.native_state = "launched";
  status.reason = "started on " + remote_.runner->describe();
  status.submitted = job.submitted;
  status.scheduler_info = {{"sandbox", dir}, {"pid", pid}};
  publish(status);
  wake_poller();
  return id;
}

std::vector<JobStatus> SshScheduler::statuses(const std::vector<std::string>& ids) {
  std::vector<std::string> to_poll;
  for (const std::string& id : ids) track(id);  // re-attaches, or throws NoSuchJob
  for (const std::string& id : ids) {
    auto known = cached(id);
    if (!known || !known->done()) to_poll.push_back(id);
  }
  if (!to_poll.empty()) poll(to_poll);
  std::vector<JobStatus> result;
  for (const std::string& id : ids) {
    auto known = cached(id);
    if (!known) throw NoSuchJob(id);
    result.push_back(*known);
  }
  return result;
}

std::map<std::string, JobStatus> SshScheduler::poll(const std::vector<std::string>& ids) {
  std::lock_guard poll_lock(poll_mutex_);
  std::vector<std::string> sandboxes;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& id : ids) sandboxes.push_back(jobs_.at(id).sandbox);
  }
  CommandResult result =
      checked(*remote_.runner, read_markers_argv(sandboxes), kRemoteCommandTimeout);
  std::map<std::string, MarkerState> markers = parse_markers(result.stdout_text, sandboxes);
  std::map<std::string, JobStatus> observed;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (auto known = cached(ids[i]); known && known->done()) {
      observed[ids[i]] = *known;
      continue;
    }
    Job job;
    {
      std::lock_guard lock(mutex_);
      job = jobs_.at(ids[i]);
    }
    JobStatus status = observe(ids[i], job, markers[sandboxes[i]]);
    {
      std::lock_guard lock(mutex_);
      jobs_.at(ids[i]).dead_polls = job.dead_polls;
    }
    observed[ids[i]] = publish(status);
  }
  return observed;
}

JobStatus SshScheduler::observe(const std::string& id, Job& job, const MarkerState& marker) {
  JobStatus status;
  status.id = id;
  status.submitted = job.submitted;
  status.started = marker.started;
  status.scheduler_info = {{"sandbox", job.sandbox}};
  if (marker.pid) status.scheduler_info["pid"] = std::to_string(*marker.pid);
  if (!marker.exists) {
    status.state = JobState::kError;
    status.native_state = "missing";
    status.reason = "lost";
    status.error = "the job's sandbox " + job.sandbox + " disappeared";
    return status;
  }
  if (marker.exit_code || (marker.cancelled && !marker.alive)) {
    return finish(id, final_status_from_marker(id, marker));
  }
  if (marker.alive) {
    job.dead_polls = 0;
    status.state = JobState::kRunning;
    status.native_state = "running";
    status.reason = "running";
    return status;
  }
  // The wrapper writes its exit marker before it exits, and the marker reader looks for
  // the marker before it checks the pid: a wrapper found gone without a marker on two
  // polls in a row really vanished (killed, or the host rebooted).
  bool starting = !marker.pid && Clock::now() - job.submitted < options_.start_grace;
  if (starting) {
    status.state = JobState::kQueued;
    status.native_state = "starting";
    status.reason = "waiting for the wrapper to start";
    return status;
  }
  if (++job.dead_polls < 2) {
    auto known = cached(id);
    if (known) return *known;
    status.state = JobState::kRunning;
    status.native_state = "running";
    return status;
  }
  JobStatus lost = final_status_from_marker(id, marker);
  lost.scheduler_info = status.scheduler_info;
  if (!marker.pid) lost.error = "the job's wrapper never recorded its pid";
  return finish(id, lost);
}

JobStatus SshScheduler::finish(const std::string& id, JobStatus status) {
  Job job;
  {
    std::lock_guard lock(mutex_);
    job = jobs_.at(id);
  }
  status.submitted = job.submitted;
  status.scheduler_info["sandbox"] = job.sandbox;
  const std::string root = job.sandbox.substr(0, job.sandbox.find_last_of('/'));
  Sandbox sandbox(remote_.files, root.empty() ? "/" : root, id);
  if (!job.description) job.description = load_stage_out_plan(job.sandbox);
  if (job.description && !job.description->stage_out.empty()) {
    JobStatus staging = status;
    staging.state = JobState::kStagingOut;
    staging.native_state = "staging-out";
    staging.reason = "copying output back";
    staging.exit_code.reset();
    staging.error.reset();
    publish(staging);
    std::vector<std::string> problems = sandbox.stage_out(*client_files_, *job.description);
    if (!problems.empty()) {
      std::string joined;
      for (const std::string& problem : problems) joined += (joined.empty() ? "" : "; ") + problem;
      status.error = "stage-out: " + joined;
      status.scheduler_info["stage_out_problems"] = joined;
    }
  }
  bool remove = options_.cleanup == CleanupPolicy::kAlways ||
                (options_.cleanup == CleanupPolicy::kOnSuccess &&
                 status.state == JobState::kCompleted && !status.error);
  if (remove) {
    try {
      sandbox.cleanup();
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, "ssh", "sandbox cleanup failed", {{"job", id}, {"error", e.what()}});
    }
  }
  return status;
}

std::optional<JobDescription> SshScheduler::load_stage_out_plan(const std::string& sandbox) {
  const std::string path = sandbox + "/" + kMarkerDir + "/" + kStageOutPlanFile;
  try {
    if (!remote_.files->stat(path)) return std::nullopt;
    JobDescription description;
    description.stage_out = decode_stage_out_plan(remote_.files->read_file(path));
    return description;
  } catch (const Error& e) {
    log(LogLevel::kWarn, "ssh", "could not read the stage-out plan",
        {{"sandbox", sandbox}, {"error", e.what()}});
    return std::nullopt;
  }
}

JobStatus SshScheduler::cancel(const std::string& id) {
  track(id);
  if (auto known = cached(id); known && known->done()) return *known;
  std::string sandbox;
  {
    std::lock_guard lock(mutex_);
    sandbox = jobs_.at(id).sandbox;
  }
  checked(*remote_.runner,
          {"/bin/sh", "-c", kCancelScript, "sh", sandbox, seconds_text(options_.cancel_grace)},
          kRemoteCommandTimeout, {0, 3});
  const auto deadline =
      std::chrono::steady_clock::now() + options_.cancel_grace + std::chrono::seconds(5);
  JobStatus status;
  while (true) {
    status = poll({id}).at(id);
    if (status.done() || std::chrono::steady_clock::now() >= deadline) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<std::string> SshScheduler::jobs(const std::string& queue) {
  if (!queue.empty()) return {};
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, job] : jobs_) ids.push_back(id);
  return ids;
}

std::vector<std::string> SshScheduler::find_by_name(const std::string& name) {
  CommandResult result =
      checked(*remote_.runner, {"/bin/sh", "-c", kFindByNameScript, "sh", sandbox_root(), name},
              kRemoteCommandTimeout);
  std::vector<std::string> ids;
  std::size_t start = 0;
  while (start < result.stdout_text.size()) {
    std::size_t end = result.stdout_text.find('\n', start);
    if (end == std::string::npos) end = result.stdout_text.size();
    std::string id = result.stdout_text.substr(start, end - start);
    if (valid_id(id)) ids.push_back(id);
    start = end + 1;
  }
  return ids;
}

void SshScheduler::track(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.count(id)) return;
  }
  if (!valid_id(id)) throw NoSuchJob(id);
  const std::string sandbox = sandbox_root() + "/" + id;
  auto info = remote_.files->stat(sandbox + "/" + kMarkerDir);
  if (!info || info->type != FileInfo::Type::kDirectory) throw NoSuchJob(id);
  Job job;
  job.sandbox = sandbox;
  job.submitted = Clock::now();
  {
    std::lock_guard lock(mutex_);
    jobs_.emplace(id, job);
  }
  wake_poller();
}

std::vector<std::string> SshScheduler::active_jobs() {
  std::vector<std::string> ids;
  std::lock_guard lock(mutex_);
  for (const auto& [id, job] : jobs_) {
    auto known = cached(id);
    if (!known || !known->done()) ids.push_back(id);
  }
  return ids;
}

void SshScheduler::wake_poller() {
  {
    std::lock_guard lock(control_->mutex);
    control_->kicked = true;
  }
  control_->wake.notify_all();
}

void SshScheduler::poll_loop(std::weak_ptr<SshScheduler> weak, std::shared_ptr<PollControl> control,
                             std::chrono::milliseconds interval) {
  while (true) {
    bool idle;
    {
      auto self = weak.lock();
      if (!self) return;
      idle = self->active_jobs().empty();
    }
    {
      std::unique_lock lock(control->mutex);
      if (control->stopping) return;
      if (idle) {
        // Nothing to watch: no remote command until a submit or track wakes us.
        control->wake.wait(lock, [&] { return control->stopping || control->kicked; });
        control->kicked = false;
        continue;
      }
      control->wake.wait_for(lock, interval, [&] { return control->stopping; });
      if (control->stopping) return;
    }
    auto self = weak.lock();
    if (!self) return;
    try {
      std::vector<std::string> ids = self->active_jobs();
      if (!ids.empty()) self->poll(ids);
    } catch (const Error& e) {
      // Transient (connection lost, server restarting): states stay as they were and the
      // next poll tries again; nothing is concluded from a failed poll.
      log(LogLevel::kInfo, "ssh", "poll failed",
          {{"location", self->location_.to_string()}, {"error", e.what()}});
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, "ssh", "poll failed", {{"error", e.what()}});
    }
  }
}

}  // namespace cuttle::detail
