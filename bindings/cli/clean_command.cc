// clean: removes job sandboxes (and job-index entries) older than a duration, so that
// detached jobs and jobs with staging do not pile up directories forever: every local
// sandbox under the sandbox root, and the sandboxes of jobs this command submitted to any
// other location (found through the job index). A job that is not finished is never
// touched.
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "adaptors/local/local_options.h"
#include "bindings/cli/commands.h"
#include "bindings/cli/job_index.h"
#include "bindings/cli/output.h"
#include "cuttle/cuttle.h"

namespace cuttle::cli {
namespace fs = std::filesystem;
namespace {

TimePoint modified(const fs::path& path) {
  std::error_code ec;
  auto written = fs::last_write_time(path, ec);
  if (ec) return Clock::now();
  return std::chrono::time_point_cast<Clock::duration>(std::chrono::file_clock::to_sys(written));
}

// When the sandbox's job ended; nullopt while it may still run.
std::optional<TimePoint> ended(Scheduler& scheduler, const fs::path& sandbox) {
  const std::string key = sandbox.filename().string();
  try {
    scheduler.track(key);
    JobStatus status = scheduler.status(key);
    if (!status.done()) return std::nullopt;
    return status.finished.value_or(modified(sandbox));
  } catch (const NoSuchJob&) {
    // The sandbox of an attached job with staging: its process is gone with the one
    // that submitted it, so the directory's age is all there is.
    return modified(sandbox);
  }
}

}  // namespace

int clean_verb(const Options& o) {
  require_args(o, 0, 0);
  if (!o.older_than) throw InvalidArgument("clean: give --older-than DURATION (e.g. 7d)");
  SchedulerOptions options = o.scheduler;
  options.properties["mode"] = "detached";
  std::string root =
      options.properties.count("sandbox.root") ? options.properties["sandbox.root"] : "";
  if (root.empty()) root = detail::local::default_sandbox_root();
  const TimePoint cutoff = Clock::now() - *o.older_than;
  auto scheduler = open_scheduler("local://", options);

  nlohmann::json removed = nlohmann::json::array();
  std::size_t kept = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    auto end = ended(*scheduler, entry.path());
    if (!end || *end >= cutoff) {
      ++kept;
      continue;
    }
    if (!o.dry_run) fs::remove_all(entry.path(), ec);
    removed.push_back(entry.path().string());
    if (!o.json)
      std::cout << (o.dry_run ? "would remove " : "removed ") << entry.path().string() << "\n";
  }
  // Jobs this command submitted elsewhere (ssh, Slurm, Torque, Kubernetes): their
  // sandboxes are found through the job index and removed through the adaptor's own file
  // system (SFTP for remote hosts), once the job is finished and ended before the cutoff.
  std::set<std::string> gone;
  for (const auto& path : removed) gone.insert(fs::path(path.get<std::string>()).filename());
  nlohmann::json failed = nlohmann::json::array();
  // By location and id: two locations may reuse an id, and only the one cleaned goes.
  std::set<std::pair<std::string, std::string>> remote_done;
  // One scheduler per location and the options it is opened with, not one per job.
  std::map<std::string, std::shared_ptr<Scheduler>> opened;
  for (const IndexedJob& job : JobIndex().all()) {
    if (Location::parse(job.location).scheme == "local" || job.submitted >= cutoff) continue;
    try {
      std::string key = job.location + '\n' + job.user + '\n' + job.identity;
      for (const auto& [name, value] : job.properties) key += '\n' + name + '=' + value;
      std::shared_ptr<Scheduler>& remote = opened[key];
      if (!remote) remote = open_scheduler(job.location, job.scheduler_options(o.scheduler));
      remote->track(job.id);
      JobStatus status = remote->status(job.id);
      if (!status.done() || status.finished.value_or(job.submitted) >= cutoff) {
        ++kept;
        continue;
      }
      auto sandbox = status.scheduler_info.find("sandbox");
      if (sandbox != status.scheduler_info.end() && !sandbox->second.empty()) {
        if (!o.dry_run) remote->job_files()->remove_all(sandbox->second);
        removed.push_back(job.location + " " + sandbox->second);
        if (!o.json) {
          std::cout << (o.dry_run ? "would remove " : "removed ") << job.location << " "
                    << sandbox->second << "\n";
        }
      }
      remote_done.insert({job.location, job.id});
    } catch (const NoSuchJob&) {
      remote_done.insert({job.location, job.id});  // nothing left of it to clean
    } catch (const Error& e) {
      failed.push_back({{"id", job.id}, {"location", job.location}, {"error", e.what()}});
      if (!o.json)
        std::cerr << "cuttle: clean: " << job.id << " at " << job.location << ": " << e.what()
                  << "\n";
    }
  }
  // An entry goes with its sandbox; one whose location could not be reached stays.
  const std::size_t forgotten = o.dry_run ? 0 : JobIndex().remove_if([&](const IndexedJob& job) {
    if (Location::parse(job.location).scheme == "local") return gone.count(job.id) > 0;
    return remote_done.count({job.location, job.id}) > 0;
  });
  if (o.json) {
    print_json({{"sandbox_root", root},
                {"removed", removed},
                {"kept", kept},
                {"index_entries_removed", forgotten},
                {"failed", failed},
                {"dry_run", o.dry_run}});
  }
  return 0;
}

}  // namespace cuttle::cli
