// submit and wait: the verbs that follow a job to its end.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <utility>

#include "bindings/cli/commands.h"
#include "bindings/cli/job_index.h"
#include "bindings/cli/job_target.h"
#include "bindings/cli/output.h"
#include "bindings/cli/progress.h"
#include "cuttle/cuttle.h"

namespace cuttle::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted = true; }

std::string current_directory() {
  char buffer[4096];
  return ::getcwd(buffer, sizeof buffer) ? std::string(buffer) : std::string();
}

// Waits in short slices so that Ctrl-C is noticed. An attached local job dies with us,
// so an interrupt cancels it; a detached or batch job keeps running. `again` is the
// command that picks the wait up later.
int wait_for(const Options& o, Scheduler& scheduler, const std::string& id,
             const std::string& again) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  Progress progress(id, true, isatty(STDERR_FILENO) == 1);
  auto subscription = scheduler.subscribe([&progress](const JobStatus& s) { progress.observe(s); });
  auto deadline = o.timeout ? std::chrono::steady_clock::now() + *o.timeout
                            : std::chrono::steady_clock::time_point::max();
  JobStatus status = scheduler.status(id);
  progress.observe(status);
  while (!status.done()) {
    auto slice = std::chrono::milliseconds(200);
    if (o.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      slice = std::max(std::chrono::milliseconds(0), std::min(slice, left));
    }
    status = scheduler.wait_until_done(id, slice);
    progress.observe(status);
    progress.tick();
    if (status.done()) break;
    if (g_interrupted) {
      progress.finish();
      if (!scheduler.capabilities().detached) {
        scheduler.cancel(id);
        status = scheduler.wait_until_done(id, std::chrono::seconds(30));
        std::cerr << "cuttle: interrupted; job " << id << " cancelled\n";
      } else {
        std::cerr << "cuttle: interrupted; job " << id << " keeps running (" << again << ")\n";
      }
      if (o.json) print_json(to_json(status));
      return 130;
    }
    if (o.timeout && std::chrono::steady_clock::now() >= deadline) {
      progress.finish();
      if (o.json) print_json(to_json(status));
      std::cerr << "cuttle: job " << id << " still " << to_string(status.state)
                << " after the timeout (" << again << ")\n";
      return 124;
    }
  }
  subscription.reset();
  progress.finish();
  if (o.json) print_json(to_json(status));
  return exit_code_for(status);
}

bool is_local(const std::string& location) { return Location::parse(location).scheme == "local"; }

// The mode a local:// submit asked for: -p wins over the location's query.
std::string local_mode(const Options& o, const std::string& location) {
  if (auto it = o.scheduler.properties.find("mode"); it != o.scheduler.properties.end()) {
    return it->second;
  }
  Location parsed = Location::parse(location);
  if (auto it = parsed.query.find("mode"); it != parsed.query.end()) return it->second;
  return "attached";
}

IndexedJob index_entry(const std::string& id, const std::string& location,
                       const SchedulerOptions& options, const JobDescription& job) {
  IndexedJob entry;
  entry.id = id;
  entry.location = location;
  entry.properties = options.properties;
  entry.user = options.credential.user;
  if (options.credential.kind == Credential::Kind::kKeyFile)
    entry.identity = options.credential.key_file;
  entry.name = job.name;
  // A job with steps is listed by its first step's command.
  const std::string& executable = job.steps.empty() ? job.executable : job.steps[0].executable;
  const auto& arguments = job.steps.empty() ? job.arguments : job.steps[0].arguments;
  entry.command = {executable};
  entry.command.insert(entry.command.end(), arguments.begin(), arguments.end());
  entry.working_directory = job.working_directory;
  if (is_local(location) && !job.working_directory.empty() &&
      job.working_directory.front() != '/') {
    entry.working_directory = current_directory() + "/" + job.working_directory;
  }
  entry.stdout_path = job.stdout_path;
  entry.stderr_path = job.stderr_path;
  entry.submitted = Clock::now();
  return entry;
}

// What stage_in will copy, for the progress line: entries, bytes (what cannot be read
// here is left out; submit reports it).
std::pair<std::size_t, std::uintmax_t> stage_in_size(const JobDescription& job) {
  namespace fs = std::filesystem;
  std::uintmax_t bytes = 0;
  for (const StagingEntry& entry : job.stage_in) {
    std::error_code error;
    if (fs::is_regular_file(entry.source, error)) {
      bytes += fs::file_size(entry.source, error);
      continue;
    }
    for (fs::recursive_directory_iterator it(entry.source, error), end; !error && it != end;
         it.increment(error)) {
      if (it->is_regular_file(error)) bytes += it->file_size(error);
    }
  }
  return {job.stage_in.size(), bytes};
}

// submit(), which stages in before it returns: on a terminal a line says what is being
// copied and another how long it took, so a long stage-in is not a silent wait.
std::string submit_with_staging_lines(Scheduler& scheduler, const JobDescription& job) {
  if (job.stage_in.empty() || isatty(STDERR_FILENO) != 1) return scheduler.submit(job);
  const auto [entries, bytes] = stage_in_size(job);
  char size[32];
  std::snprintf(size, sizeof size, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  std::cerr << "cuttle: " << clock_time(Clock::now()) << " staging in " << entries
            << (entries == 1 ? " entry" : " entries") << " (" << size << ") to "
            << scheduler.location().to_string() << "\n";
  const auto started = std::chrono::steady_clock::now();
  std::string id = scheduler.submit(job);
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1fs",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  std::cerr << "cuttle: " << clock_time(Clock::now()) << ' ' << id
            << " staged in and submitted after " << elapsed << "\n";
  return id;
}

}  // namespace

int submit_verb(const Options& o) {
  require_args(o, 1, 1);
  if (o.job.executable.empty() && o.job.steps.empty()) {
    throw InvalidArgument("submit: give the command after `--` (or a job file with --from)");
  }
  const std::string location = o.positional[0];
  SchedulerOptions options = o.scheduler;
  JobDescription job = o.job;
  const bool local = is_local(location);
  if (local && !o.wait) {
    // An attached job is a child of this process: it would die with it, and its id
    // could never be found again. Without --wait the only useful local job is detached.
    if (local_mode(o, location) == "attached" &&
        (options.properties.count("mode") || Location::parse(location).query.count("mode"))) {
      throw InvalidArgument(
          "submit: an attached local:// job without --wait dies with this command and its id "
          "cannot be found again; add --wait, or leave mode out (local:// then runs detached)");
    }
    options.properties["mode"] = "detached";
  }
  // Keep stdout for the one JSON document: an attached job inherits our stdout, so it
  // gets our stderr there instead, and the document goes to a saved copy of stdout.
  if (local && o.json && local_mode(o, location) == "attached" && job.stdout_path.empty()) {
    keep_stdout_for_json();
  }
  auto scheduler = open_scheduler(location, options);
  const std::string id = submit_with_staging_lines(*scheduler, job);
  const bool findable = scheduler->capabilities().detached || !local;
  std::string again = "cuttle wait " + quote(location) + " " + quote(id);
  if (findable) {
    JobIndex().add(index_entry(id, location, options, job));
    again = "cuttle wait " + quote(id);
  }
  if (!o.wait) {
    if (o.json) {
      print_json({{"id", id}, {"location", location}});
    } else {
      std::cout << id << "\n";
    }
    return 0;
  }
  return wait_for(o, *scheduler, id, again);
}

int wait_verb(const Options& o) {
  require_args(o, 1, 2);
  JobTarget target = resolve_targets(o, o.positional).at(0);
  if (target.ids.size() != 1) usage_error(o);
  auto open = open_target(target);
  const std::string& id = target.ids[0];
  explain_missing(target, id, [&] { open.scheduler->track(id); });
  const std::string again = "cuttle wait " +
                            (is_location(o.positional[0]) ? quote(target.location) + " " : "") +
                            quote(id);
  return wait_for(o, *open.scheduler, id, again);
}

}  // namespace cuttle::cli
