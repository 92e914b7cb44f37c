// Resolving job ids to schedulers through the job index.
#include "bindings/cli/job_target.h"

#include <algorithm>
#include <regex>

#include "cuttle/error.h"
#include "cuttle/location.h"
#include "cuttle/shell.h"

namespace cuttle::cli {
namespace {

// Local detached job keys: "c" + 20 hex digits (time-ordered).
bool looks_like_local_detached(const std::string& id) {
  static const std::regex key("c[0-9a-f]{20}");
  return std::regex_match(id, key);
}

const char* const kLocalDetached = "local://?mode=detached";

}  // namespace

bool is_location(const std::string& text) { return text.find("://") != std::string::npos; }

std::vector<JobTarget> resolve_targets(const Options& o, const std::vector<std::string>& args) {
  ResolvedTargets resolved = resolve_each(o, args);
  if (!resolved.unknown.empty()) throw Error(ErrorKind::kNoSuchJob, resolved.unknown[0].missing);
  return std::move(resolved.targets);
}

ResolvedTargets resolve_each(const Options& o, const std::vector<std::string>& args) {
  ResolvedTargets resolved;
  std::vector<JobTarget>& targets = resolved.targets;
  if (is_location(args.at(0))) {
    JobTarget t{args[0], o.scheduler, {args.begin() + 1, args.end()}, {}};
    t.entries.resize(t.ids.size());
    targets.push_back(std::move(t));
    return resolved;
  }
  const JobIndex index;
  for (const std::string& id : args) {
    if (is_location(id)) throw InvalidArgument("give the location first, then job ids: " + id);
    std::vector<IndexedJob> found = index.find(id);
    // An array element ("ID[INDEX]") is where its array is.
    if (auto element = parse_array_element_id(id); found.empty() && element) {
      found = index.find(element->first);
    }
    std::string location;
    std::optional<IndexedJob> entry;
    SchedulerOptions options = o.scheduler;
    if (found.size() > 1) {
      std::string where;
      for (const auto& f : found) where += (where.empty() ? "" : ", ") + quote(f.location);
      throw InvalidArgument("job " + id + " exists at several locations (" + where +
                            "); give the location: cuttle " + o.verb + " LOCATION " + id);
    }
    if (found.size() == 1) {
      entry = found[0];
      location = entry->location;
      options = entry->scheduler_options(o.scheduler);
    } else if (looks_like_local_detached(id)) {
      location = kLocalDetached;
    } else {
      resolved.unknown.push_back({id, std::nullopt,
                                  "no such job: " + id + " is not in this user's job index (" +
                                      index.directory() + "); give its location: cuttle " + o.verb +
                                      " LOCATION " + id});
      continue;
    }
    auto same = std::find_if(targets.begin(), targets.end(), [&](const JobTarget& t) {
      return t.location == location && t.options.properties == options.properties;
    });
    if (same == targets.end()) {
      targets.push_back(JobTarget{location, options, {}, {}});
      same = targets.end() - 1;
    }
    same->ids.push_back(id);
    same->entries.push_back(entry);
  }
  return resolved;
}

OpenTarget open_target(const JobTarget& target) {
  return {open_scheduler(target.location, target.options), target};
}

std::string explain_missing(const JobTarget& target, const std::string& id,
                            const std::string& message) {
  const std::string hint = where_else(target, id);
  return hint.empty() ? message : message + " at " + target.location + "; " + hint;
}

std::string where_else(const JobTarget& target, const std::string& id) {
  for (const IndexedJob& entry : JobIndex().find(id)) {
    if (entry.location != target.location) {
      return "it was submitted to " + quote(entry.location) +
             " (or leave the location out: cuttle ... " + quote(id) + ")";
    }
  }
  const Location location = Location::parse(target.location);
  auto mode = target.options.properties.find("mode");
  const bool detached = (mode != target.options.properties.end() && mode->second == "detached") ||
                        (location.query.count("mode") && location.query.at("mode") == "detached");
  if (looks_like_local_detached(id) && location.scheme == "local" && !detached) {
    return "it looks like a detached job: use " + quote(kLocalDetached) +
           " or leave the location out";
  }
  return {};
}

}  // namespace cuttle::cli
