// output and logs: a job's stdout or stderr, read where the job runs (this machine, or
// the remote host over SFTP), for any adaptor that keeps output in files.
#include <iostream>
#include <thread>

#include "bindings/cli/commands.h"
#include "bindings/cli/job_target.h"
#include "bindings/cli/output.h"
#include "cuttle/cuttle.h"

namespace cuttle::cli {
namespace {

constexpr std::chrono::milliseconds kFollowInterval{300};

// The file the job writes: a --stdout/--stderr given at submit (relative to the job's
// working directory, else its sandbox), else what the status says.
std::string job_output_path(const Options& o, const JobStatus& status,
                            const std::optional<IndexedJob>& entry) {
  std::string given;
  if (entry) given = o.stderr_stream ? entry->stderr_path : entry->stdout_path;
  if (!given.empty()) {
    if (given.front() == '/') return given;
    std::string base = entry->working_directory;
    if (base.empty()) {
      auto sandbox = status.scheduler_info.find("sandbox");
      if (sandbox != status.scheduler_info.end()) base = sandbox->second;
    }
    if (!base.empty()) return base + "/" + given;
  }
  return output_path(status, o.stderr_stream);
}

// Copies what `reader` has now to stdout; returns the number of bytes.
std::size_t drain(FileReader& reader) {
  char buffer[64 * 1024];
  std::size_t total = 0;
  while (std::size_t n = reader.read(buffer, sizeof buffer)) {
    std::cout.write(buffer, static_cast<std::streamsize>(n));
    total += n;
  }
  std::cout.flush();
  return total;
}

}  // namespace

int output_verb(const Options& o) {
  require_args(o, 1, 2);
  JobTarget target = resolve_targets(o, o.positional).at(0);
  if (target.ids.size() != 1) usage_error(o);
  const std::string& id = target.ids[0];
  auto open = open_target(target);
  Scheduler& scheduler = *open.scheduler;
  JobStatus status = explain_missing(target, id, [&] {
    scheduler.track(id);
    return scheduler.status(id);
  });
  const char* stream = o.stderr_stream ? "stderr" : "stdout";
  const std::string path = job_output_path(o, status, target.entries[0]);
  if (path.empty()) {
    throw InvalidArgument("job " + id + " keeps no " + stream +
                          " file: an attached local job writes to the terminal that submitted it");
  }
  auto files = scheduler.job_files();
  const bool follow = o.follow && o.verb == "logs";
  // Following a job that has not started yet: its file appears when it does.
  while (!files->stat(path)) {
    if (!follow || status.done()) {
      throw StagingFailed("job " + id + ": no " + stream + " at " + path +
                          (status.done() ? " (its sandbox was cleaned up, or it never started)"
                                         : " yet (the job has not started)"));
    }
    std::this_thread::sleep_for(kFollowInterval);
    status = scheduler.status(id);
  }
  auto reader = files->open_read(path);
  drain(*reader);
  while (follow && !status.done()) {
    std::this_thread::sleep_for(kFollowInterval);
    status = scheduler.status(id);
    drain(*reader);
  }
  if (follow) drain(*reader);  // what was written between the last read and the end
  return 0;
}

}  // namespace cuttle::cli
