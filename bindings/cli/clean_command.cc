// clean: removes local job sandboxes (and job-index entries) older than a duration, so
// that detached jobs and jobs with staging do not pile up directories forever. A job
// that is not finished is never touched.
#include <filesystem>
#include <iostream>
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
  // A local job's entry goes with its sandbox; other jobs' entries go by age alone.
  std::set<std::string> gone;
  for (const auto& path : removed) gone.insert(fs::path(path.get<std::string>()).filename());
  const std::size_t forgotten = o.dry_run ? 0 : JobIndex().remove_if([&](const IndexedJob& job) {
    if (Location::parse(job.location).scheme == "local") return gone.count(job.id) > 0;
    return job.submitted < cutoff;
  });
  if (o.json) {
    print_json({{"sandbox_root", root},
                {"removed", removed},
                {"kept", kept},
                {"index_entries_removed", forgotten},
                {"dry_run", o.dry_run}});
  }
  return 0;
}

}  // namespace cuttle::cli
