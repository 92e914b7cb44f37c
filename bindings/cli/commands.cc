// Dispatch, and the verbs that only look: status, cancel, extend, list, queues, adaptors.
#include "bindings/cli/commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <string_view>

#include "bindings/cli/help.h"
#include "bindings/cli/job_index.h"
#include "bindings/cli/job_target.h"
#include "bindings/cli/output.h"
#include "cuttle/cuttle.h"

namespace cuttle::cli {
namespace {

// Cancel answers with the state after the cancel: it waits (bounded) for the job to end,
// so that the adaptor's escalation to SIGKILL after cancel.grace runs while we are here.
constexpr std::chrono::seconds kCancelSettle{20};

// The job ids of a command line in the order given ([LOCATION] JOB...).
std::vector<std::string> ids_given(const Options& o) {
  const bool located = is_location(o.positional.at(0));
  return {o.positional.begin() + (located ? 1 : 0), o.positional.end()};
}

// Each id once, in the order given (Scheduler::status_answers requires distinct ids).
std::vector<std::string> distinct(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  std::set<std::string_view> seen;
  for (const std::string& id : ids) {
    if (seen.insert(id).second) out.push_back(id);
  }
  return out;
}

// One answer per job named on the command line, in the order given: `ask` gets each
// location's scheduler once with all of that location's ids. A job nobody can find is an
// answer saying so (with where it is, when the index knows), not an error that hides the
// others; an error that concerns a whole location still ends the command.
template <typename Ask>
std::vector<StatusAnswer> answer_each(const Options& o, Ask ask) {
  require_args(o, 1, 100000);
  ResolvedTargets resolved = resolve_each(o, o.positional);
  std::map<std::string, StatusAnswer> by_id;
  for (StatusAnswer& unknown : resolved.unknown) by_id[unknown.id] = std::move(unknown);
  for (const JobTarget& target : resolved.targets) {
    auto open = open_target(target);
    for (StatusAnswer& answer : ask(*open.scheduler, distinct(target.ids))) {
      if (!answer.status) answer.missing = explain_missing(target, answer.id, answer.missing);
      by_id[answer.id] = std::move(answer);
    }
  }
  std::vector<StatusAnswer> all;
  for (const std::string& id : ids_given(o)) all.push_back(by_id.at(id));
  return all;
}

// Statuses on stdout (text: one line per job; --json: one array, a job not found as
// {"id", "error"}); each job not found also as an error line on stderr, in the CLI's
// error style. Returns the exit code: 1 when some job was not found, else 0.
int print_answers(const Options& o, const std::vector<StatusAnswer>& all, bool header) {
  nlohmann::json out = nlohmann::json::array();
  if (header && !o.json) std::cout << status_header() << "\n";
  int code = 0;
  for (const StatusAnswer& answer : all) {
    if (answer.status) {
      if (o.json) {
        out.push_back(to_json(*answer.status));
      } else {
        std::cout << status_line(*answer.status) << "\n";
      }
      continue;
    }
    code = 1;
    std::cout.flush();  // the answers stay in the order given on a terminal
    std::cerr << "cuttle: " << answer.missing << "\n";
    if (o.json) {
      out.push_back(
          {{"id", answer.id},
           {"error", {{"kind", to_string(ErrorKind::kNoSuchJob)}, {"message", answer.missing}}}});
    }
  }
  if (o.json) print_json(out);
  return code;
}

int status(const Options& o) {
  return print_answers(
      o,
      answer_each(o, [](Scheduler& s,
                        const std::vector<std::string>& ids) { return s.status_answers(ids); }),
      true);
}

int cancel(const Options& o) {
  const auto settle = std::chrono::duration_cast<std::chrono::milliseconds>(
      o.timeout ? *o.timeout : std::chrono::milliseconds(kCancelSettle));
  auto cancel_each = [&](Scheduler& s, const std::vector<std::string>& ids) {
    std::vector<StatusAnswer> answers;
    for (const std::string& id : ids) {
      try {
        s.track(id);
        s.cancel(id);
        answers.push_back({id, s.wait_until_done(id, settle), {}});
      } catch (const NoSuchJob& e) {
        answers.push_back({id, std::nullopt, e.what()});
      }
    }
    return answers;
  };
  return print_answers(o, answer_each(o, cancel_each), false);
}

int extend(const Options& o) {
  require_args(o, 2, 3);
  std::vector<std::string> args = o.positional;
  auto by = std::chrono::duration_cast<std::chrono::seconds>(parse_duration(args.back()));
  args.pop_back();
  if (args.size() != (is_location(args[0]) ? 2u : 1u)) usage_error(o);
  JobTarget target = resolve_targets(o, args).at(0);
  auto open = open_target(target);
  JobStatus s = explain_missing(target, target.ids[0], [&] {
    open.scheduler->track(target.ids[0]);
    return open.scheduler->extend(target.ids[0], by);
  });
  if (o.json) {
    print_json(to_json(s));
  } else {
    std::cout << status_line(s) << "\n";
  }
  return 0;
}

nlohmann::json index_json(const IndexedJob& job) {
  return {{"id", job.id},
          {"location", job.location},
          {"name", job.name},
          {"command", job.command},
          {"submitted", format_time(job.submitted)}};
}

int list(const Options& o) {
  require_args(o, 0, 1);
  if (o.positional.empty()) {
    auto jobs = JobIndex().recent(o.limit);
    if (o.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& j : jobs) out.push_back(index_json(j));
      print_json(out);
    } else {
      std::cout << "JOB\tSUBMITTED\tLOCATION\tCOMMAND\n";
      for (const auto& j : jobs) {
        std::cout << j.id << '\t' << format_time(j.submitted) << '\t' << j.location << '\t'
                  << quote_command(j.command) << "\n";
      }
    }
    return 0;
  }
  auto ids = open_scheduler(o.positional[0], o.scheduler)->jobs(o.queue_filter);
  if (o.json) {
    print_json(nlohmann::json(ids));
  } else {
    for (const auto& id : ids) std::cout << id << "\n";
  }
  return 0;
}

int queues(const Options& o) {
  require_args(o, 1, 1);
  auto all = open_scheduler(o.positional[0], o.scheduler)->queues();
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& q : all) out.push_back(to_json(q));
    print_json(out);
  } else {
    for (const auto& q : all) {
      std::cout << q.name << (q.is_default ? " (default)" : "") << '\t' << q.state << "\n";
    }
  }
  return 0;
}

int adaptors(const Options& o) {
  require_args(o, 0, 0);
  register_builtin_adaptors();
  auto all = Registry::global().adaptors();
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : all) out.push_back(to_json(a));
    print_json(out);
  } else {
    for (const auto& a : all) std::cout << adaptor_text(a) << "\n";
  }
  return 0;
}

int version(const Options& o) {
  require_args(o, 0, 0);
  if (o.json) {
    print_json({{"version", kVersion}});
  } else {
    std::cout << "cuttle " << kVersion << "\n";
  }
  return 0;
}

int help(const Options& o) {
  require_args(o, 0, 1);
  std::string text;
  if (o.positional.empty()) {
    text = usage();
  } else if (o.positional[0] == "man") {
    text = man_page();
  } else if (o.positional[0] == "bash-completion") {
    text = bash_completion();
  } else {
    text = usage(o.positional[0]);
  }
  if (o.json) {
    print_json({{"help", text}});
  } else {
    std::cout << text;
  }
  return 0;
}

}  // namespace

namespace {
int g_json_fd = -1;  // set by keep_stdout_for_json
}  // namespace

void keep_stdout_for_json() {
  std::cout.flush();
  g_json_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (g_json_fd < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    throw InternalError(std::string("cannot redirect stdout: ") + std::strerror(errno));
  }
}

void print_json(const nlohmann::json& document) {
  const std::string text = document.dump() + "\n";
  if (g_json_fd < 0) {
    std::cout << text << std::flush;
    return;
  }
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(g_json_fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    done += static_cast<std::size_t>(n);
  }
}

void usage_error(const Options& o) {
  for (const VerbHelp& v : verb_help()) {
    if (o.verb == v.name) throw InvalidArgument(std::string("usage: cuttle ") + v.synopsis);
  }
  throw InvalidArgument("unknown verb '" + o.verb + "' (see cuttle --help)");
}

void require_args(const Options& o, std::size_t min, std::size_t max) {
  if (o.positional.size() < min || o.positional.size() > max) usage_error(o);
}

int exit_code_for(const JobStatus& s) {
  switch (s.state) {
    case JobState::kCompleted:
      return 0;
    case JobState::kFailed:
      return s.exit_code.value_or(1);
    case JobState::kCancelled:
      return 130;
    case JobState::kExpired:
      return 124;
    default:
      return 125;
  }
}

int run_command(const Options& o) {
  static const std::map<std::string, int (*)(const Options&)> verbs = {
      {"submit", submit_verb}, {"status", status},    {"wait", wait_verb},   {"cancel", cancel},
      {"extend", extend},      {"list", list},        {"queues", queues},    {"adaptors", adaptors},
      {"output", output_verb}, {"logs", output_verb}, {"clean", clean_verb}, {"version", version},
      {"help", help},
  };
  auto it = verbs.find(o.verb);
  if (it == verbs.end()) throw InvalidArgument("unknown verb '" + o.verb + "' (see cuttle --help)");
  return it->second(o);
}

}  // namespace cuttle::cli
