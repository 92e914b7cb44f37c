// The per-user job index of the `cuttle` command: every job `cuttle submit` hands out is
// recorded with its location, so `cuttle status ID` (wait, cancel, output, logs) finds it
// again without the location being repeated, and `cuttle list` shows recent jobs across
// locations. One small JSON file per job under $XDG_STATE_HOME/cuttle/jobs (default
// ~/.local/state/cuttle/jobs), written atomically, so concurrent `cuttle` processes never
// corrupt each other's entries. Secrets (passwords, tokens, passphrases) are never stored.
// Thread-safety: a JobIndex is used by one thread; several processes may share the
// directory.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/job_status.h"
#include "cuttle/scheduler.h"

namespace cuttle::cli {

struct IndexedJob {
  std::string id;        // the scheduler's id, as printed by `cuttle submit`
  std::string location;  // as given to submit, query included
  std::map<std::string, std::string> properties;  // -p KEY=VALUE given to submit
  std::string user;                               // --user, if any
  std::string identity;                           // --identity key file, if any
  std::string name;
  std::vector<std::string> command;
  std::string working_directory;  // as given (--cwd), made absolute for local://
  std::string stdout_path;        // as given (--stdout); empty: <sandbox>/stdout.txt
  std::string stderr_path;
  TimePoint submitted;

  // The options to open the job's scheduler with; `given` (this invocation's flags) wins.
  SchedulerOptions scheduler_options(const SchedulerOptions& given) const;
};

class JobIndex {
 public:
  // $XDG_STATE_HOME/cuttle, else $HOME/.local/state/cuttle.
  static std::string default_directory();

  explicit JobIndex(std::string directory = default_directory());

  const std::string& directory() const { return directory_; }

  // Records a job (replacing an entry with the same id and location). Throws
  // InternalError naming the file when it cannot be written.
  void add(const IndexedJob& job) const;

  // Every entry whose id is exactly `id` (several when two locations reuse an id).
  std::vector<IndexedJob> find(const std::string& id) const;

  // The newest `limit` entries, newest first. Unreadable entries are skipped.
  std::vector<IndexedJob> recent(std::size_t limit) const;

  // Removes the entries for which `forget` is true; returns how many.
  std::size_t remove_if(const std::function<bool(const IndexedJob&)>& forget) const;

  // Every readable entry, in no particular order.
  std::vector<IndexedJob> all() const;

 private:
  std::string file_for(const IndexedJob& job) const;

  std::string directory_;
};

}  // namespace cuttle::cli
