// The batch engine: settings, commands, submit and the verbs (statuses, cancel, extend,
// queues, jobs, find_by_name, track). Observation, final-state resolution, the finish
// step and the poll loop are in batch_observe.cc.
// (~690 lines: submit is most of it - sandbox, wrapper, job script, the crash-safe name and
// backend records - and find_by_name reads those records back; they stay side by side.)
#include "adaptors/batch/batch_scheduler.h"

#include <pwd.h>
#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <set>
#include <string_view>
#include <thread>

#include "adaptors/batch/array_job.h"
#include "adaptors/batch/job_script.h"
#include "adaptors/batch/text.h"
#include "cuttle/error.h"
#include "internal/common_properties.h"
#include "internal/container_runtime.h"
#include "internal/job_key.h"
#include "internal/log.h"
#include "internal/path_text.h"
#include "internal/stage_out_plan.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail {
namespace {

// What submit() publishes for a job (or array element) the scheduler just accepted.
JobStatus just_submitted(const std::string& id, const std::string& job_name) {
  JobStatus status;
  status.id = id;
  status.state = JobState::kQueued;
  status.native_state = "submitted";
  status.submitted = Clock::now();
  status.scheduler_info["name"] = job_name;
  return status;
}

constexpr const char* kComponent = "batch";
constexpr std::chrono::seconds kSchedulerLimitSlack{60};

std::string erase_brackets(std::string id) {
  if (const std::size_t at = id.find("[]"); at != std::string::npos) id.erase(at, 2);
  return id;
}

std::string local_home() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  throw InternalError("cannot find the home directory for the sandbox root; set sandbox.root");
}

// Job ids every batch scheduler prints: digits first, then [A-Za-z0-9._+[]-] (Slurm
// arrays "12_3", het jobs "12+0", Torque "12.server", "12[].server"). Anything else is
// refused before it reaches a command line.
bool plausible_job_id(const std::string& id) {
  if (id.empty() || id.size() > 200 || id[0] < '0' || id[0] > '9') return false;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '_' || c == '-' || c == '+' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

// The first line of a marker file, or nothing when it cannot be read (not written yet,
// or gone): one round trip where a stat and a read took two (over SFTP, per sandbox).
// A lost connection is not an absent marker: it propagates, so that a caller deciding
// whether to submit again does not take "unreadable" for "not there".
std::optional<std::string> read_marker_line(FileSystem& files, const std::string& path) {
  try {
    return first_line(files.read_file(path));
  } catch (const ConnectionFailed&) {
    throw;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

JobDescription BatchScheduler::scheduler_view(const JobDescription& description) const {
  // The wrapper ends the job at max_runtime to the second; the scheduler's own limit
  // (minutes on Slurm) is a backstop past the wrapper's deadline and its KILL, so the
  // scheduler never ends the job first and the record always says "deadline".
  JobDescription view = description;
  if (view.max_runtime) *view.max_runtime += settings_.cancel_grace + kSchedulerLimitSlack;
  return view;
}

std::vector<PropertyDescriptor> batch_property_descriptors() {
  return {
      {"poll.interval.min", PropertyType::kDuration, "1s",
       "poll interval right after a submit or a change"},
      {"poll.interval.max", PropertyType::kDuration, "5s",
       "poll interval bound while nothing changes"},
      lost_grace_property(),
      {"command.timeout", PropertyType::kDuration, "60s",
       "bound on one scheduler command; exceeding it counts as the scheduler not answering "
       "(0: unbounded)"},
      sandbox_root_property("",
                            "absolute directory on the cluster for job sandboxes (default "
                            "~/.cuttle/jobs)"),
      cleanup_property(),
      cancel_grace_property(),
      {"queue", PropertyType::kString, "",
       "queue (partition) for jobs that name none; empty: the scheduler's default"},
      {"submit.busy.wait", PropertyType::kDuration, "60s",
       "how long a submit backs off and retries while the controller is busy or away "
       "(Socket timed out, Resource temporarily unavailable) before it fails (0: at once)"},
      {"submit.interval", PropertyType::kDuration, "0s",
       "at least this long between two submits; a faster submit waits (0: no limit)"},
      {"submit.max.in.flight", PropertyType::kInt, "0",
       "at most this many jobs submitted here and not yet finished; another submit waits "
       "for one to finish (0: no limit)"},
  };
}

BatchSettings BatchSettings::from(const Properties& properties) {
  BatchSettings settings;
  settings.poll_min = properties.get_duration("poll.interval.min");
  settings.poll_max = properties.get_duration("poll.interval.max");
  settings.lost_grace = lost_grace_from(properties);
  settings.cancel_grace = cancel_grace_from(properties);
  settings.command_timeout = properties.get_duration("command.timeout");
  settings.sandbox_root = properties.get_string("sandbox.root");
  settings.default_queue = properties.get_string("queue");
  settings.submit_busy_wait = properties.get_duration("submit.busy.wait");
  settings.submit_interval = properties.get_duration("submit.interval");
  settings.max_in_flight = properties.get_int("submit.max.in.flight");
  if (settings.max_in_flight < 0)
    throw InvalidArgument("submit.max.in.flight must not be negative");
  if (!settings.sandbox_root.empty() && settings.sandbox_root[0] != '/') {
    throw InvalidArgument("sandbox.root must be an absolute path: " + settings.sandbox_root);
  }
  settings.cleanup = cleanup_from(properties);
  if (settings.poll_min.count() <= 0) throw InvalidArgument("poll.interval.min must be positive");
  return settings;
}

BatchScheduler::BatchScheduler(std::string adaptor_name, Location location,
                               std::unique_ptr<BatchDialect> dialect,
                               std::shared_ptr<CommandRunner> runner,
                               std::shared_ptr<FileSystem> files, BatchSettings settings)
    : adaptor_name_(std::move(adaptor_name)),
      location_(std::move(location)),
      dialect_(std::move(dialect)),
      runner_(std::move(runner)),
      files_(std::move(files)),
      settings_(std::move(settings)),
      sandbox_root_(settings_.sandbox_root),
      submit_rate_(settings_.submit_interval.count() > 0
                       ? std::make_unique<RateLimiter>(
                             1000.0 / static_cast<double>(settings_.submit_interval.count()), 1)
                       : nullptr),
      poll_(settings_.poll_min, settings_.poll_max) {}

BatchScheduler::~BatchScheduler() { write_backend_records(); }

void BatchScheduler::queue_backend_record(const std::string& markers, const std::string& id) {
  std::lock_guard lock(backend_records_mutex_);
  backend_records_.emplace_back(markers, id);
}

void BatchScheduler::write_backend_records() {
  std::lock_guard lock(backend_records_mutex_);
  for (const auto& [markers, id] : backend_records_) {
    try {
      files_->write_file(join_path(markers, kBackendFile), id + "\n", 0644);
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, kComponent, "could not record the backend id",
          {{"id", id}, {"error", e.what()}});
    }
  }
  backend_records_.clear();
}

CommandResult BatchScheduler::run(const std::vector<std::string>& argv,
                                  const CommandOptions& options,
                                  const std::function<std::string()>& input) {
  CommandOptions bounded = options;
  if (!bounded.timeout && settings_.command_timeout.count() > 0) {
    bounded.timeout = settings_.command_timeout;
  }
  ++commands_run_;
  try {
    const auto begin = std::chrono::steady_clock::now();
    CommandResult result =
        input ? runner_->run_with_input(argv, input, bounded) : runner_->run(argv, bounded);
    if (log_enabled(LogLevel::kDebug)) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - begin);
      log(LogLevel::kDebug, kComponent, "command",
          {{"argv0", argv[0]},
           {"exit", std::to_string(result.exit_code)},
           {"ms", std::to_string(ms.count())},
           {"on", runner_->describe()}});
    }
    return result;
  } catch (const Timeout& e) {
    throw ConnectionFailed(dialect_->name() + " did not answer on " + runner_->describe() + ": " +
                           argv[0] + " timed out (" + e.what() + ")");
  }
}

std::pair<CommandOutcome, CommandResult> BatchScheduler::run_classified(
    const std::vector<std::string>& argv, const CommandOptions& options) {
  CommandResult result = run(argv, options);
  const CommandOutcome outcome = dialect_->classify(argv, result);
  raise_for(argv, outcome, result);
  return {outcome, std::move(result)};
}

void BatchScheduler::raise_for(const std::vector<std::string>& argv, CommandOutcome outcome,
                               const CommandResult& result) const {
  if (outcome == CommandOutcome::kSchedulerDown) {
    throw ConnectionFailed(dialect_->name() + " controller did not answer on " +
                           runner_->describe() + " (" + argv[0] +
                           "): " + first_line(result.stderr_text));
  }
  if (outcome == CommandOutcome::kFailed) {
    throw CommandFailed(argv, result.exit_code, result.stderr_text);
  }
}

std::string BatchScheduler::sandbox_root() {
  {
    std::lock_guard lock(mutex_);
    if (!sandbox_root_.empty()) return sandbox_root_;
  }
  // Relative to the home directory of the account the commands run as.
  const bool local = dynamic_cast<LocalFileSystem*>(files_.get()) != nullptr;
  const std::string home = local ? local_home() : files_->real_path(".");
  std::lock_guard lock(mutex_);
  if (sandbox_root_.empty()) sandbox_root_ = join_path(home, ".cuttle/jobs");
  return sandbox_root_;
}

void BatchScheduler::wait_for_submit_slot() {
  if (settings_.max_in_flight > 0) {
    // The poller publishes final states; a finished job frees its slot on its next round.
    for (bool logged = false;
         static_cast<std::int64_t>(active_ids().size()) >= settings_.max_in_flight; logged = true) {
      if (!logged) {
        log(LogLevel::kInfo, kComponent, "submit.max.in.flight reached; the submit waits",
            {{"scheduler", runner_->describe()}});
      }
      wake_poller_soon();
      std::this_thread::sleep_for(settings_.poll_min);
    }
  }
  if (submit_rate_) submit_rate_->acquire();
}

std::string BatchScheduler::submit(const JobDescription& requested) {
  requested.validate();
  // With an in-flight bound, one submit at a time: the count it waited for stays true
  // until its own job is tracked.
  std::unique_lock<std::mutex> gate(submit_gate_, std::defer_lock);
  if (settings_.max_in_flight > 0) gate.lock();
  wait_for_submit_slot();
  JobDescription description = requested;
  if (description.queue.empty()) description.queue = settings_.default_queue;
  for (std::size_t i = 0; i < description.stage_out.size(); ++i) {
    confine_relative_path(description.stage_out[i].source,
                          "stage_out[" + std::to_string(i) + "].source");
  }
  check_scheduler_arguments(description.scheduler_arguments);
  check_batch_array(description, dialect_->name());
  const std::string key = new_job_key();
  const std::string job_name = batch_job_name(description.name, key);
  // Sandbox::create makes a missing root (0700), after the submit command has started.
  Sandbox sandbox(files_, sandbox_root(), key);
  const std::string markers = join_path(sandbox.path(), kMarkerDir);
  // Writes the sandbox and returns the job script. Where the submit command reads the
  // script from stdin, this runs while the command starts up (run_with_input): the
  // command reads no byte of the script, so cannot submit, before the sandbox is whole.
  auto prepare = [&]() -> std::string {
    // The sandbox appears with its job name: a crash after this is found again by it.
    sandbox.create({{join_path(kMarkerDir, kJobNameFile), job_name + "\n"}},
                   sanitized_job_name(description.name));
    LocalFileSystem client;
    sandbox.stage_in(client, description);

    if (!description.working_directory.empty() && description.working_directory[0] != '/') {
      sandbox.resolve(description.working_directory, "working_directory");  // confined
    }
    const WrapperPaths paths = description.array
                                   ? array_wrapper_paths(description, sandbox.path())
                                   : wrapper_paths(description, sandbox.path(), sandbox.path());
    if (paths.working_directory != sandbox.path()) {
      files_->create_directories(paths.working_directory);
    }
    if (!description.stage_out.empty()) {
      // So that a scheduler object that re-attaches later can still stage out.
      files_->write_file(join_path(markers, kStageOutPlanFile),
                         encode_stage_out_plan(description.stage_out), 0600);
    }
    const std::string wrapper_path = join_path(markers, "wrapper.sh");
    // `auto` is resolved on the submit host, which sites install the same software on
    // as their compute nodes; the wrapper checks the runtime again on the node.
    JobDescription launched = resolve_container(description, *runner_);
    launched.dependencies.clear();  // the scheduler holds the job (--dependency, -W depend)
    std::string wrapper = render_wrapper(launched, paths, settings_.cancel_grace);
    if (description.array) {
      wrapper = per_element_wrapper(wrapper);
      files_->write_file(join_path(markers, kArrayFile), description.array->to_string() + "\n",
                         0644);
    }
    files_->write_file(wrapper_path, wrapper, 0755);
    if (description.max_runtime) {
      files_->write_file(join_path(markers, "allocation"),
                         allocation_marker(*description.max_runtime), 0644);
    }

    DirectiveContext context;
    context.job_name = job_name;
    context.working_directory = paths.working_directory;
    context.scheduler_stdout = join_path(markers, "batch.out");
    context.scheduler_stderr = join_path(markers, "batch.err");
    return render_job_script(dialect_->render_directives(scheduler_view(description), context),
                             wrapper_path,
                             description.array ? array_job_prelude(sandbox.path()) : "");
  };
  std::string id;
  try {
    std::vector<std::string> argv;
    std::function<std::string()> input;
    if (dialect_->submit_reads_stdin()) {
      argv = dialect_->submit_argv({});
      input = prepare;
    } else {
      const std::string script = prepare();
      const std::string script_path = join_path(markers, "job.sh");
      files_->write_file(script_path, script, 0755);
      argv = dialect_->submit_argv(script_path);
    }
    try {
      id = submit_with_backoff(argv, input, job_name);
      // Torque names an array "12[].server": its elements are "12[INDEX]".
      if (description.array) id = dialect_->canonical_id(erase_brackets(id));
    } catch (const ConnectionFailed&) {
      // The submit may have reached the scheduler before the answer was lost. The job
      // name carries our key: cancel what we find so no half-submitted job stays behind.
      try {
        for (const std::string& orphan : ids_named(job_name)) run(dialect_->cancel_argv(orphan));
      } catch (const Error&) {
      }
      throw;
    }
  } catch (...) {
    try {
      sandbox.cleanup();
    } catch (const std::exception&) {
    }
    throw;
  }
  queue_backend_record(markers, id);
  if (description.array) {
    register_array(id, sandbox.path(), job_name, *description.array, description);
    for (const std::string& element : element_ids(id)) {
      publish(just_submitted(element, job_name));
    }
    publish_array(id);
    wake_poller_soon();
    return id;
  }
  {
    std::lock_guard lock(mutex_);
    Tracked& tracked = tracked_[id];
    tracked.sandbox = sandbox.path();
    tracked.job_name = job_name;
    tracked.description = description;
    tracked.max_runtime = description.max_runtime;
  }
  JobStatus status = just_submitted(id, job_name);
  status.scheduler_info["sandbox"] = sandbox.path();
  publish(status);
  wake_poller_soon();
  return id;
}

std::string BatchScheduler::submit_with_backoff(const std::vector<std::string>& argv,
                                                const std::function<std::string()>& input,
                                                const std::string& job_name) {
  std::optional<std::string> script;  // prepared once, fed to every try
  std::function<std::string()> once;
  if (input) {
    once = [&] {
      if (!script) script = input();
      return *script;
    };
  }
  const auto give_up_at = std::chrono::steady_clock::now() + settings_.submit_busy_wait;
  std::chrono::milliseconds pause{1000};
  for (bool first = true;; first = false) {
    // Only the controller's own "busy" or "away" answer is waited out; a transport that
    // fails (an unreachable host) or a command that hangs fails the submit at once.
    std::optional<CommandResult> busy;
    try {
      if (!first) {
        // The try before may have reached the controller before its answer was lost.
        if (std::vector<std::string> found = ids_named(job_name); !found.empty()) {
          return found.front();
        }
      }
      CommandResult result = run(argv, {}, once);
      const CommandOutcome outcome = dialect_->classify(argv, result);
      if (outcome != CommandOutcome::kSchedulerDown) {
        raise_for(argv, outcome, result);
        return dialect_->parse_submit(result);
      }
      busy = std::move(result);
    } catch (const ConnectionFailed&) {
      if (first) throw;  // the transport, not the controller
    }
    if (std::chrono::steady_clock::now() + pause > give_up_at) {
      if (busy) raise_for(argv, CommandOutcome::kSchedulerDown, *busy);
      throw ConnectionFailed(dialect_->name() + " controller did not answer on " +
                             runner_->describe() + " within submit.busy.wait");
    }
    log(LogLevel::kWarn, kComponent, "the controller is busy or away; backing off",
        {{"scheduler", runner_->describe()},
         {"ms", std::to_string(pause.count())},
         {"stderr", busy ? first_line(busy->stderr_text) : std::string("(no answer)")}});
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(30));
  }
}

std::vector<JobStatus> BatchScheduler::statuses(const std::vector<std::string>& ids) {
  std::vector<JobStatus> out;
  out.reserve(ids.size());
  for (StatusAnswer& answer : status_answers(ids)) {
    if (!answer.status) throw NoSuchJob(answer.id);
    out.push_back(std::move(*answer.status));
  }
  return out;
}

// Every id not known to be finished is observed in one round (one status command, at
// most one accounting command, one marker command), tracked or not: a process that asks
// about jobs submitted elsewhere pays the same as the poller.
std::vector<StatusAnswer> BatchScheduler::status_answers(const std::vector<std::string>& ids) {
  std::vector<StatusAnswer> out(ids.size());
  std::vector<std::string> query;
  std::set<std::string> arrays;  // asked for as a whole: observed through their elements
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out[i].id = ids[i];
    if (!plausible_job_id(ids[i])) {
      out[i].missing = NoSuchJob(ids[i]).what() + (": not a " + dialect_->name() + " job id");
    } else if (auto status = cached(ids[i]); status && status->done()) {
      out[i].status = std::move(status);
    } else if (is_array(ids[i])) {
      arrays.insert(ids[i]);
      for (std::string& element : element_ids(ids[i])) {
        if (auto known = cached(element); !known || !known->done()) query.push_back(element);
      }
    } else {
      query.push_back(ids[i]);
    }
  }
  std::sort(query.begin(), query.end());
  query.erase(std::unique(query.begin(), query.end()), query.end());
  std::map<std::string, JobStatus> published;
  if (!query.empty()) {
    std::lock_guard lock(observe_mutex_);
    for (auto& [id, status] : observe(query)) published[id] = publish_observed(std::move(status));
  }
  publish_arrays_of(query);
  for (const std::string& id : arrays) published[id] = publish_array(id);
  // An id nobody lists whose sandbox recorded an array spec (submitted by another process):
  // from now on observed through its elements.
  for (const std::string& id : query) {
    if (!published.count(id) && !parse_array_element_id(id) && !cached(id) && adopt_array(id)) {
      if (auto answers = status_answers({id}); answers.front().status) {
        published[id] = *answers.front().status;
      }
    }
  }
  if (query.empty() && arrays.empty()) return out;
  // That was a whole poll round when it covered every active job: the poller need not
  // repeat it at once (nor, in a short-lived process such as the CLI, at all).
  const std::vector<std::string> active = active_ids();
  const std::set<std::string_view> asked(query.begin(), query.end());
  if (std::all_of(active.begin(), active.end(),
                  [&](const std::string& id) { return asked.count(id) > 0; })) {
    poll_.defer();
  }
  ensure_poller();  // jobs first seen here are watched from now on
  for (StatusAnswer& answer : out) {
    if (answer.status || !answer.missing.empty()) continue;
    if (auto it = published.find(answer.id); it != published.end()) {
      answer.status = it->second;
    } else if (auto status = cached(answer.id)) {
      answer.status = std::move(status);  // missing, within the grace window: the last known
    } else {
      answer.missing = NoSuchJob(answer.id).what() +
                       (": " + dialect_->name() + " does not know it and no sandbox recorded it");
    }
  }
  return out;
}

JobStatus BatchScheduler::cancel(const std::string& id) {
  if (!plausible_job_id(id)) throw NoSuchJob(id);
  if (is_array(id)) return cancel_array(id);
  if (auto status = cached(id); status && status->done()) return *status;
  bool known;
  {
    std::lock_guard lock(mutex_);
    known = tracked_.count(id) > 0;
  }
  if (!known) {
    // A job submitted by another process: learn its sandbox first (NoSuchJob if unknown).
    if (JobStatus status = statuses({id}).front(); status.done()) return status;
  }
  std::string sandbox;
  {
    std::lock_guard lock(mutex_);
    Tracked& tracked = tracked_[id];
    tracked.cancel_requested = true;
    sandbox = tracked.sandbox;
  }
  if (!sandbox.empty()) {
    // Read by any later observer (another process too): the kill was a cancel.
    try {
      files_->write_file(join_path(join_path(sandbox, kMarkerDir), "cancelled"), "", 0644);
    } catch (const Error& e) {
      log(LogLevel::kDebug, kComponent, "could not write the cancel marker", {{"error", e.what()}});
    }
  }
  // kUnknownJob: already finished or purged; the status below says which.
  run_classified(dialect_->cancel_argv(id));
  wake_poller_soon();
  return statuses({id}).front();
}

JobStatus BatchScheduler::extend(const std::string& id, std::chrono::seconds by) {
  if (by.count() <= 0) throw InvalidArgument("extend: the extension must be positive");
  if (!plausible_job_id(id)) throw NoSuchJob(id);
  if (is_array(id) || parse_array_element_id(id)) {
    throw Unsupported("extend: array jobs and their elements cannot be extended yet");
  }
  if (auto status = cached(id); status && status->done()) {
    throw InvalidArgument("extend: job " + id + " is already " +
                          std::string(to_string(status->state)));
  }
  std::map<std::string, NativeJob> found = query_status({id});
  auto it = found.find(id);
  if (it == found.end()) throw NoSuchJob(id);
  const auto argv = dialect_->extend_argv(it->second, by);
  if (!argv) throw Unsupported(dialect_->name() + ": extend is not supported");
  const auto [outcome, result] = run_classified(*argv);
  if (outcome == CommandOutcome::kForbidden) {
    throw Unsupported(dialect_->name() + " does not allow raising the time limit here: " +
                      first_line(result.stderr_text));
  }
  if (outcome == CommandOutcome::kUnknownJob) throw NoSuchJob(id);
  std::string sandbox;
  {
    std::lock_guard lock(mutex_);
    if (auto t = tracked_.find(id); t != tracked_.end()) sandbox = t->second.sandbox;
  }
  if (!sandbox.empty() && files_->stat(join_path(join_path(sandbox, kMarkerDir), "allocation"))) {
    // The wrapper's own deadline moves with the scheduler's.
    const std::chrono::seconds total = extend_allocation(*files_, sandbox, by);
    std::lock_guard lock(mutex_);
    tracked_[id].max_runtime = total;
  }
  return statuses({id}).front();
}

std::vector<QueueInfo> BatchScheduler::queues() {
  const auto argv = dialect_->queues_argv();
  return dialect_->parse_queues(run_classified(argv).second.stdout_text);
}

std::vector<std::string> BatchScheduler::jobs(const std::string& queue) {
  const auto [outcome, result] = run_classified(dialect_->list_argv(queue));
  std::vector<std::string> ids;
  std::set<std::string> seen;
  if (outcome == CommandOutcome::kOk) {
    for (const NativeJob& job : dialect_->parse_list(result.stdout_text)) {
      if ((queue.empty() || job.queue == queue) && seen.insert(job.id).second)
        ids.push_back(job.id);
    }
  }
  // Jobs we watch that the scheduler already forgot are still known here.
  std::lock_guard lock(mutex_);
  for (const auto& [id, tracked] : tracked_) {
    const bool in_queue =
        queue.empty() || (tracked.description && tracked.description->queue == queue);
    if (in_queue && seen.insert(id).second) ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> BatchScheduler::ids_named(const std::string& job_name) {
  const auto [outcome, result] = run_classified(dialect_->list_argv({}));
  std::vector<std::string> ids;
  if (outcome != CommandOutcome::kOk) return ids;
  for (const NativeJob& job : dialect_->parse_list(result.stdout_text)) {
    if (job.name == job_name) ids.push_back(job.id);
  }
  return ids;
}

std::vector<std::string> BatchScheduler::find_by_name(const std::string& name) {
  const std::string wanted = sanitized_job_name(name);
  const auto [outcome, result] = run_classified(dialect_->list_argv({}));
  std::vector<std::string> ids;
  std::set<std::string> seen;
  auto matches = [&](const std::string& job_name) {
    return job_key_from_name(job_name) && name_part_of(job_name) == wanted;
  };
  std::set<std::string> queued_keys;
  if (outcome == CommandOutcome::kOk) {
    for (const NativeJob& job : dialect_->parse_list(result.stdout_text)) {
      if (auto key = job_key_from_name(job.name)) queued_keys.insert(*key);
      if (matches(job.name) && seen.insert(job.id).second) ids.push_back(job.id);
    }
  }
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, tracked] : tracked_) {
      if (matches(tracked.job_name) && seen.insert(id).second) ids.push_back(id);
    }
  }
  if (outcome == CommandOutcome::kOk) {
    find_in_sandboxes(matches, queued_keys, ids, seen);
    Sandbox::remove_partials(*files_, sandbox_root(), wanted);
  }
  return ids;
}

// The sandboxes of submits the queue no longer shows. One with the scheduler's id (the
// submitter's record, or the job's own) is that job, though the queue forgot it; one
// without an id, whose wrapper never started and whose key the queue does not show, is a
// submit a crash interrupted before the scheduler had it: removed, so that the caller's
// new submit leaves no orphan behind (find_by_name then also removes the name's partial
// sandboxes, a crash inside Sandbox::create). Called only when the queue listing succeeded.
void BatchScheduler::find_in_sandboxes(const std::function<bool(const std::string&)>& matches,
                                       const std::set<std::string>& queued_keys,
                                       std::vector<std::string>& ids, std::set<std::string>& seen) {
  const std::string root = sandbox_root();
  if (!files_->stat(root)) return;
  for (const std::string& key : files_->list(root)) {
    if (!is_job_key(key)) continue;
    const std::string markers = join_path(join_path(root, key), kMarkerDir);
    const std::optional<std::string> job_name =
        read_marker_line(*files_, join_path(markers, kJobNameFile));
    if (!job_name || !matches(*job_name)) continue;
    const std::string backend =
        read_marker_line(*files_, join_path(markers, kBackendFile)).value_or("");
    if (!backend.empty()) {
      const std::string id = dialect_->canonical_id(backend);
      if (seen.insert(id).second) ids.push_back(id);
    } else if (!queued_keys.count(key) && !files_->stat(join_path(markers, "pid"))) {
      log(LogLevel::kInfo, kComponent, "removing the sandbox of an interrupted submit",
          {{"sandbox", join_path(root, key)}, {"job_name", *job_name}});
      files_->remove_all(join_path(root, key));
    }
  }
}

void BatchScheduler::track(const std::string& id) {
  statuses({id});                            // throws NoSuchJob; remembers the job and its sandbox
  if (!is_array(id)) remember(id, nullptr);  // an array is tracked through its elements
  wake_poller_soon();
}

void BatchScheduler::forget(const std::string& id) {
  if (!finished(id)) return;
  const std::vector<std::string> elements = element_ids(id);
  {
    std::lock_guard lock(mutex_);
    tracked_.erase(id);
    arrays_.erase(id);
    for (const std::string& element : elements) tracked_.erase(element);
  }
  for (const std::string& element : elements) SchedulerBase::forget(element);
  SchedulerBase::forget(id);
}

}  // namespace cuttle::detail
