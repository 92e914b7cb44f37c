// submit, status, wait, cancel, extend, list, queues, adaptors.
#include "bindings/cli/commands.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "bindings/cli/output.h"
#include "cuttle/cuttle.h"

namespace cuttle::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted = true; }

void require_positionals(const Options& o, std::size_t min, std::size_t max, const char* usage) {
  if (o.positional.size() < min || o.positional.size() > max) {
    throw InvalidArgument(std::string("usage: cuttle ") + usage);
  }
}

std::shared_ptr<Scheduler> open(const Options& o) {
  return open_scheduler(o.positional.at(0), o.scheduler);
}

void print_status(const Options& o, const JobStatus& s) {
  if (o.json) {
    std::cout << to_json(s).dump() << "\n";
  } else {
    std::cout << status_line(s) << "\n";
  }
}

// Waits in short slices so that Ctrl-C is noticed. An attached local job dies with
// us, so an interrupt cancels it; a detached or batch job keeps running.
int wait_for(const Options& o, Scheduler& scheduler, const std::string& id) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::shared_ptr<Subscription> progress;
  if (isatty(STDERR_FILENO) && !o.json) {
    progress = scheduler.subscribe([id](const JobStatus& s) {
      if (s.id == id) std::cerr << "cuttle: " << id << " " << to_string(s.state) << "\n";
    });
  }
  auto deadline = o.timeout ? std::chrono::steady_clock::now() + *o.timeout
                            : std::chrono::steady_clock::time_point::max();
  JobStatus status;
  while (true) {
    auto slice = std::chrono::milliseconds(200);
    if (o.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      slice = std::max(std::chrono::milliseconds(0), std::min(slice, left));
    }
    status = scheduler.wait_until_done(id, slice);
    if (status.done()) break;
    if (g_interrupted) {
      if (!scheduler.capabilities().detached) {
        status = scheduler.cancel(id);
        status = scheduler.wait_until_done(id, std::chrono::seconds(30));
        std::cerr << "cuttle: interrupted; job " << id << " cancelled\n";
      } else {
        std::cerr << "cuttle: interrupted; job " << id << " keeps running (cuttle wait "
                  << scheduler.location().to_string() << " " << id << ")\n";
      }
      return 130;
    }
    if (o.timeout && std::chrono::steady_clock::now() >= deadline) {
      if (o.json) print_status(o, status);
      std::cerr << "cuttle: job " << id << " still " << to_string(status.state)
                << " after the timeout\n";
      return 124;
    }
  }
  if (o.json) print_status(o, status);
  if (status.state != JobState::kCompleted && !o.json) {
    std::cerr << "cuttle: job " << id << " " << to_string(status.state)
              << (status.reason.empty() ? "" : ": " + status.reason) << "\n";
  }
  return exit_code_for(status);
}

int submit(const Options& o) {
  require_positionals(o, 1, 1, "submit LOCATION [OPTIONS] -- CMD [ARGS...]");
  if (o.command.empty()) throw InvalidArgument("submit: give the command after `--`");
  auto scheduler = open(o);
  std::string id = scheduler->submit(o.job);
  if (!o.wait) {
    if (o.json) {
      std::cout << nlohmann::json{{"id", id}}.dump() << "\n";
    } else {
      std::cout << id << "\n";
    }
    return 0;
  }
  if (!o.json) std::cerr << (isatty(STDERR_FILENO) ? "cuttle: submitted " + id + "\n" : "");
  return wait_for(o, *scheduler, id);
}

int status(const Options& o) {
  require_positionals(o, 2, 100000, "status LOCATION JOB...");
  auto scheduler = open(o);
  std::vector<std::string> ids(o.positional.begin() + 1, o.positional.end());
  for (const auto& id : ids) scheduler->track(id);
  auto statuses = scheduler->statuses(ids);
  if (o.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& s : statuses) all.push_back(to_json(s));
    std::cout << all.dump() << "\n";
  } else {
    for (const auto& s : statuses) std::cout << status_line(s) << "\n";
  }
  return 0;
}

int wait(const Options& o) {
  require_positionals(o, 2, 2, "wait LOCATION JOB [--timeout DURATION]");
  auto scheduler = open(o);
  scheduler->track(o.positional[1]);
  return wait_for(o, *scheduler, o.positional[1]);
}

int cancel(const Options& o) {
  require_positionals(o, 2, 100000, "cancel LOCATION JOB...");
  auto scheduler = open(o);
  for (std::size_t i = 1; i < o.positional.size(); ++i) {
    scheduler->track(o.positional[i]);
    print_status(o, scheduler->cancel(o.positional[i]));
  }
  return 0;
}

int extend(const Options& o) {
  require_positionals(o, 3, 3, "extend LOCATION JOB DURATION");
  auto scheduler = open(o);
  auto by = std::chrono::duration_cast<std::chrono::seconds>(parse_duration(o.positional[2]));
  scheduler->track(o.positional[1]);
  print_status(o, scheduler->extend(o.positional[1], by));
  return 0;
}

int list(const Options& o) {
  require_positionals(o, 1, 1, "list LOCATION [--queue NAME]");
  auto ids = open(o)->jobs(o.queue_filter);
  if (o.json) {
    std::cout << nlohmann::json(ids).dump() << "\n";
  } else {
    for (const auto& id : ids) std::cout << id << "\n";
  }
  return 0;
}

int queues(const Options& o) {
  require_positionals(o, 1, 1, "queues LOCATION");
  auto all = open(o)->queues();
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& q : all) out.push_back(to_json(q));
    std::cout << out.dump() << "\n";
  } else {
    for (const auto& q : all) {
      std::cout << q.name << (q.is_default ? " (default)" : "") << '\t' << q.state << "\n";
    }
  }
  return 0;
}

int adaptors(const Options& o) {
  register_builtin_adaptors();
  auto all = Registry::global().adaptors();
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : all) out.push_back(to_json(a));
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& a : all) std::cout << adaptor_text(a) << "\n";
  }
  return 0;
}

}  // namespace

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
      {"submit", submit}, {"status", status}, {"wait", wait},     {"cancel", cancel},
      {"extend", extend}, {"list", list},     {"queues", queues}, {"adaptors", adaptors},
  };
  auto it = verbs.find(o.verb);
  if (it == verbs.end()) throw InvalidArgument("unknown verb '" + o.verb + "' (see cuttle --help)");
  return it->second(o);
}

}  // namespace cuttle::cli
