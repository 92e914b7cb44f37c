// Which scheduler a job id on the command line belongs to. `cuttle status LOCATION ID`
// names it; `cuttle status ID` finds it in the per-user job index (or, for an id shaped
// like a local detached job key, in the local sandbox root). A "no such job" at a given
// location says where the job really is when the index knows.
// Thread-safety: called from main only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings/cli/job_index.h"
#include "bindings/cli/options.h"
#include "cuttle/error.h"
#include "cuttle/scheduler.h"

namespace cuttle::cli {

// One location and the jobs asked for there, in the order they were given.
struct JobTarget {
  std::string location;
  SchedulerOptions options;
  std::vector<std::string> ids;
  std::vector<std::optional<IndexedJob>> entries;  // parallel to ids
};

// True for "scheme://..." (a job id never contains "://").
bool is_location(const std::string& text);

// The jobs of a command line by location, and the ids no location could be found for.
struct ResolvedTargets {
  std::vector<JobTarget> targets;
  std::vector<StatusAnswer> unknown;  // missing, saying the way out: give the location
};

// `args` is [LOCATION] JOB...; REQUIRES: at least one job id. Throws InvalidArgument for
// an id the index holds at several locations; an id it does not hold when no location is
// given goes to `unknown`.
ResolvedTargets resolve_each(const Options& o, const std::vector<std::string>& args);
// As resolve_each, throwing a "no such job" error for the first unknown id.
std::vector<JobTarget> resolve_targets(const Options& o, const std::vector<std::string>& args);

struct OpenTarget {
  std::shared_ptr<Scheduler> scheduler;
  JobTarget target;
};
OpenTarget open_target(const JobTarget& target);

// Where else job `id` may be, as advice for a "no such job" at `target`; empty if unknown.
std::string where_else(const JobTarget& target, const std::string& id);

// A "no such job" message for `id` at `target`, with where the job is when the index
// knows; the message unchanged otherwise.
std::string explain_missing(const JobTarget& target, const std::string& id,
                            const std::string& message);

// Runs `body` and turns a NoSuchJob for `id` into one that says where the job is.
template <typename Body>
auto explain_missing(const JobTarget& target, const std::string& id, Body body)
    -> decltype(body()) {
  try {
    return body();
  } catch (const NoSuchJob& e) {
    const std::string explained = explain_missing(target, id, e.what());
    if (explained == e.what()) throw;
    throw Error(ErrorKind::kNoSuchJob, explained);
  }
}

}  // namespace cuttle::cli
