// The ssh:// scheduler: submit through the wrapper, one marker-reading command per poll,
// cancel by process group, staging through SFTP.
// (~460 lines: the remote scripts it runs — launch, cancel, find by name — are kept
// next to the code that runs them; they are the bulk beyond 400.)
#include "adaptors/ssh/ssh_scheduler.h"

#include "cuttle/error.h"
#include "internal/common_properties.h"
#include "internal/container_runtime.h"
#include "internal/finish_step.h"
#include "internal/log.h"
#include "internal/split.h"
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

// Writes the cancelled marker first (so the wrapper records the end as a cancel), then
// TERMs the job's process group; the wrapper KILLs it after the grace period. Exit 3: the
// job had already finished and nothing was done.
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
    "exit 0\n";

// Prints the key of every sandbox under $1 whose recorded name is exactly $2, and removes
// the partial sandboxes (never started) of that name, whose names end in $3.
constexpr const char* kFindByNameScript =
    "for d in \"$1\"/*/; do\n"
    "  d=${d%/}; f=\"$d/.cuttle/name\"\n"
    "  [ -f \"$f\" ] || continue\n"
    "  if printf '%s' \"$2\" | cmp -s - \"$f\"; then printf '%s\\n' \"${d##*/}\"; fi\n"
    "done\n"
    // What a crash inside Sandbox::create left of this name's submit: never started.
    // ($3 is Sandbox::partial_suffix of the name.)
    "for d in \"$1\"/.*\"$3\"; do\n"
    "  [ -d \"$d\" ] && rm -rf -- \"$d\"\n"
    "done\n"
    "exit 0\n";

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
      sandbox_root_property("~/.cuttle/jobs",
                            "directory on the remote host holding one sandbox per job (~ is "
                            "the remote home)"),
      {"poll.interval", PropertyType::kDuration, "1s",
       "interval between status polls (one remote command for all active jobs)"},
      cancel_grace_property(),
      lost_grace_property(),
      {"start.grace", PropertyType::kDuration, "30s",
       "how long a launched job may take to record its pid before it counts as lost"},
      cleanup_property(),
  };
  for (PropertyDescriptor& d : ssh_property_descriptors()) properties.push_back(std::move(d));
  return properties;
}

SshSchedulerOptions SshSchedulerOptions::from(const Properties& properties) {
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
  options.cancel_grace = cancel_grace_from(properties);
  options.start_grace = properties.get_duration("start.grace");
  options.lost_rule = LostRule(lost_grace_from(properties));
  options.cleanup = cleanup_from(properties);
  return options;
}

std::shared_ptr<SshScheduler> SshScheduler::create(Location location, Remote remote,
                                                   SshSchedulerOptions options) {
  auto scheduler =
      std::make_shared<SshScheduler>(std::move(location), std::move(remote), std::move(options));
  scheduler->poll_.start(scheduler->weak_from_this(), &SshScheduler::poll_round);
  return scheduler;
}

SshScheduler::SshScheduler(Location location, Remote remote, SshSchedulerOptions options)
    : location_(std::move(location)),
      remote_(std::move(remote)),
      options_(std::move(options)),
      client_files_(std::make_shared<LocalFileSystem>()),
      poll_(options_.poll_interval, options_.poll_interval) {}

SshScheduler::~SshScheduler() = default;

Capabilities SshScheduler::capabilities() const {
  Capabilities c;
  c.staging = true;
  c.detached = true;
  c.native_time_limit = true;  // the wrapper enforces max_runtime on the host
  c.extend = true;
  c.containers = true;    // when a runtime is installed on the host: submit probes there
  c.steps = true;         // through the wrapper
  c.dependencies = true;  // held by the wrapper on the host (dependency_wait.h)
  c.launch = true;        // the wrapper's shell (docs/launchers.md)
  c.clean_environment = true;
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
    // The sandbox appears with its name: find_by_name after a crash finds it or nothing.
    sandbox.create(name_marker(description.name), description.name);
    remote_.files->create_directories(markers, 0700);
    if (!description.stage_out.empty()) {
      // Kept with the job so that a scheduler object that re-attaches can stage out.
      remote_.files->write_file(markers + "/" + kStageOutPlanFile,
                                encode_stage_out_plan(description.stage_out), 0600);
    }
    sandbox.stage_in(*client_files_, description);
    const WrapperPaths paths = wrapper_paths(description, dir, home);
    const std::string wrapper = markers + "/wrapper.sh";
    // The runtime is probed on the host that runs the job.
    const JobDescription launched = resolve_container(description, *remote_.runner);
    remote_.files->write_file(wrapper, render_wrapper(launched, paths, options_.cancel_grace),
                              0700);
    if (description.max_runtime) {
      remote_.files->write_file(markers + "/allocation",
                                allocation_marker(*description.max_runtime), 0644);
    }
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
      jobs_.at(ids[i]).missing = job.missing;
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
    job.missing.found();
    status.state = marker.waiting ? JobState::kQueued : JobState::kRunning;
    status.native_state = marker.waiting ? "waiting" : "running";
    status.reason = marker.waiting ? "waiting for dependencies" : "running";
    if (marker.waiting) status.started.reset();
    return status;
  }
  // The wrapper writes its exit marker before it exits, and the marker reader checks the
  // pid before it reads the marker: a wrapper found gone without a marker is
  // missing, and the one lost rule gives it the lost.grace window before Error "lost".
  bool starting = !marker.pid && Clock::now() - job.submitted < options_.start_grace;
  if (starting) {
    status.state = JobState::kQueued;
    status.native_state = "starting";
    status.reason = "waiting for the wrapper to start";
    return status;
  }
  const TimePoint now = Clock::now();
  if (!options_.lost_rule.lost(job.missing.missing(now), now)) {
    auto known = cached(id);
    if (known) return *known;
    status.state = JobState::kRunning;
    status.native_state = "running";
    return status;
  }
  JobStatus lost =
      LostRule::lost_status(id, marker.pid ? "the job's wrapper is gone and recorded no exit code"
                                           : "the job's wrapper never recorded its pid");
  lost.scheduler_info = status.scheduler_info;
  lost.started = marker.started;
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
  FinishPlan plan;
  plan.stage_out = job.description ? job.description->stage_out
                                   : read_stage_out_plan(*remote_.files, job.sandbox);
  plan.cleanup = options_.cleanup;
  run_finish_step(status, sandbox, *remote_.files, *client_files_, plan,
                  [this](const JobStatus& staging) { publish(staging); });
  return status;
}

JobStatus SshScheduler::extend(const std::string& id, std::chrono::seconds by) {
  if (by.count() <= 0) throw InvalidArgument("extend: the extension must be positive");
  track(id);
  if (auto known = cached(id); known && known->done()) {
    throw InvalidArgument("extend: job " + id + " is already " +
                          std::string(to_string(known->state)));
  }
  std::string sandbox;
  {
    std::lock_guard lock(mutex_);
    sandbox = jobs_.at(id).sandbox;
  }
  extend_allocation(*remote_.files, sandbox, by);
  return statuses({id}).front();
}

JobStatus SshScheduler::cancel(const std::string& id) {
  track(id);
  if (auto known = cached(id); known && known->done()) return *known;
  std::string sandbox;
  {
    std::lock_guard lock(mutex_);
    sandbox = jobs_.at(id).sandbox;
  }
  checked(*remote_.runner, {"/bin/sh", "-c", kCancelScript, "sh", sandbox}, kRemoteCommandTimeout,
          {0, 3});
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
  return ids_of(jobs_);
}

std::vector<std::string> SshScheduler::find_by_name(const std::string& name) {
  CommandResult result = checked(*remote_.runner,
                                 {"/bin/sh", "-c", kFindByNameScript, "sh", sandbox_root(), name,
                                  Sandbox::partial_suffix(name)},
                                 kRemoteCommandTimeout);
  std::vector<std::string> ids;
  for (std::string_view id : split_on(result.stdout_text, '\n')) {
    if (is_job_key(id)) ids.emplace_back(id);
  }
  return ids;
}

void SshScheduler::track(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.count(id)) return;
  }
  if (!is_job_key(id)) throw NoSuchJob(id);
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

void SshScheduler::forget(const std::string& id) {
  if (!finished(id)) return;
  {
    std::lock_guard lock(mutex_);
    jobs_.erase(id);
  }
  SchedulerBase::forget(id);
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

void SshScheduler::wake_poller() { poll_.wake_soon(); }

bool SshScheduler::poll_round() {
  // With nothing to watch no remote command is run.
  std::vector<std::string> ids = active_jobs();
  if (ids.empty()) return false;
  try {
    poll(ids);
  } catch (const Error& e) {
    // Transient (connection lost, server restarting): states stay as they were and the
    // next poll tries again; nothing is concluded from a failed poll.
    log(LogLevel::kInfo, "ssh", "poll failed",
        {{"location", location_.to_string()}, {"error", e.what()}});
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "ssh", "poll failed", {{"error", e.what()}});
  }
  return true;
}

}  // namespace cuttle::detail
