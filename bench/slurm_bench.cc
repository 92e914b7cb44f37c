// Slurm benchmarks against the real Slurm of tests/env/slurm.sh (each bounded < 3 min):
//  slurm-poll-load [N=500]: track N jobs; count the scheduler commands each poll cycle
//    issues, through logging wrapper scripts first on PATH; commands per minute at steady
//    state; and end_to_known: from a job's end as Slurm records it to our status saying
//    so, with default settings. Reference: per-job polling (N commands per cycle).
//  slurm-submit-throughput [M=100] [command.timeout]: jobs/s through our API vs a bare
//    `sbatch --wrap` loop in the same run.
//  slurm-array-submit [N=1000]: N jobs as one array through our API vs a bare loop of N
//    `sbatch --wrap` in the same run; then the scheduler commands per poll while the
//    poller tracks every element (goal: at most 2 status commands per poll).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "adaptors/batch/text.h"
#include "bench/scenario.h"
#include "cuttle/cuttle.h"

namespace cuttle::bench {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const char* const kCommands[] = {"sbatch", "squeue", "sacct", "scancel", "sinfo", "scontrol"};

// Wrapper scripts that log each scheduler command, first on PATH.
struct CommandLog {
  fs::path dir;
  fs::path log;
  CommandLog() {
    dir = fs::temp_directory_path() / ("cuttle-bench-slurm-" + std::to_string(::getpid()));
    fs::create_directories(dir / "bin");
    log = dir / "commands.log";
    for (const char* name : kCommands) {
      const fs::path script = dir / "bin" / name;
      std::ofstream out(script);
      out << "#!/bin/sh\necho " << name << " >> " << quote(log.string()) << "\nexec /usr/bin/"
          << name << " \"$@\"\n";
      out.close();
      fs::permissions(script, fs::perms::owner_all);
    }
    const std::string path = (dir / "bin").string() + ":" + std::getenv("PATH");
    ::setenv("PATH", path.c_str(), 1);
  }
  ~CommandLog() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  std::map<std::string, int> counts() const {
    std::map<std::string, int> c;
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) c[line]++;
    return c;
  }
};

JobDescription sleeper(int seconds) {
  JobDescription d;
  d.executable = "sleep";
  d.arguments = {std::to_string(seconds)};
  return d;
}

void cancel_all(const std::vector<std::string>& ids) {
  LocalRunner runner;
  for (std::size_t i = 0; i < ids.size(); i += 200) {
    std::vector<std::string> argv = {"/usr/bin/scancel"};
    for (std::size_t j = i; j < std::min(ids.size(), i + 200); ++j) argv.push_back(ids[j]);
    runner.run(argv);
  }
}

int poll_load(const std::vector<std::string>& args) {
  const int n = args.empty() ? 500 : std::stoi(args[0]);
  CommandLog commands;
  const fs::path root = commands.dir / "jobs";
  auto scheduler = open_scheduler("slurm://", {{{"sandbox.root", root.string()}}, {}});

  std::mutex mutex;
  std::map<std::string, TimePoint> known_done;
  std::map<std::string, TimePoint> slurm_end;  // EndTime as Slurm recorded it (squeue %e)
  auto subscription = scheduler->subscribe([&](const JobStatus& s) {
    if (!s.done()) return;
    std::lock_guard lock(mutex);
    known_done.emplace(s.id, Clock::now());
    if (s.finished) slurm_end.emplace(s.id, *s.finished);
  });

  // Jobs whose end we time: submitted first so they start at once, ending while the
  // N long jobs keep the poll interval at its steady state.
  std::vector<std::string> timed;
  // 7 s apart, so the interval has backed off between two ends as it would in practice.
  constexpr int kTimed = 12;
  for (int i = 0; i < kTimed; ++i) timed.push_back(scheduler->submit(sleeper(35 + 7 * i)));
  std::vector<std::string> ids;
  const double submit_begin = now_seconds();
  for (int i = 0; i < n; ++i) ids.push_back(scheduler->submit(sleeper(900)));
  std::cerr << "submitted " << n << " jobs in " << fmt(now_seconds() - submit_begin) << " s\n";
  for (const auto& id : ids) scheduler->track(id);  // already watched; explicit for re-use

  // Let the interval settle, then count a steady-state window.
  std::this_thread::sleep_for(12s);
  const auto before = commands.counts();
  const double window_begin = now_seconds();
  std::this_thread::sleep_for(30s);
  const double window = now_seconds() - window_begin;
  const auto after = commands.counts();
  int polls = 0, total = 0;
  for (const char* name : kCommands) total += after.count(name) ? after.at(name) : 0;
  for (const char* name : kCommands) total -= before.count(name) ? before.at(name) : 0;
  polls = (after.count("squeue") ? after.at("squeue") : 0) -
          (before.count("squeue") ? before.at("squeue") : 0);
  // Marker reads (/bin/sh) are not scheduler commands but count toward round trips.
  const double commands_per_poll = polls > 0 ? static_cast<double>(total) / polls : 0;
  const double per_min = total * 60.0 / window;

  // Wait for the timed jobs (the longest ends ~112 s after submit).
  const auto give_up = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < give_up) {
    std::lock_guard lock(mutex);
    if (std::all_of(timed.begin(), timed.end(), [&](auto& id) { return known_done.count(id); }))
      break;
    std::this_thread::sleep_for(200ms);
  }
  std::vector<double> lags;
  {
    std::lock_guard lock(mutex);
    for (const auto& id : timed) {
      if (!known_done.count(id) || !slurm_end.count(id)) continue;
      // Slurm prints whole seconds; +0.5 s centres its truncation.
      lags.push_back(std::chrono::duration<double>(known_done[id] - slurm_end[id]).count() - 0.5);
    }
  }
  std::sort(lags.begin(), lags.end());
  const double p50 = lags.empty() ? -1 : lags[lags.size() / 2];
  const double p90 = lags.empty() ? -1 : lags[lags.size() * 9 / 10];
  cancel_all(ids);
  cancel_all(timed);
  print_result("slurm-poll-load",
               {{"jobs", std::to_string(n + kTimed)},
                {"polls_in_window", std::to_string(polls)},
                {"commands_per_poll", fmt(commands_per_poll)},
                {"commands_per_min", fmt(per_min, 1)},
                {"end_to_known_p50_s", fmt(p50)},
                {"end_to_known_p90_s", fmt(p90)},
                {"timed_jobs_resolved", std::to_string(lags.size())},
                {"per_job_polling_commands_per_poll", std::to_string(n + kTimed)},
                {"ratio", fmt(commands_per_poll > 0 ? (n + kTimed) / commands_per_poll : 0, 1)}});
  return 0;
}

int submit_throughput(const std::vector<std::string>& args) {
  const int m = args.empty() ? 100 : std::stoi(args[0]);
  const fs::path dir =
      fs::temp_directory_path() / ("cuttle-bench-submit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  LocalRunner runner;
  std::vector<std::string> ids;

  std::map<std::string, std::string> properties = {{"sandbox.root", (dir / "jobs").string()}};
  if (args.size() > 1) properties["command.timeout"] = args[1];  // "0": unbounded
  auto scheduler = open_scheduler("slurm://", {properties, {}});
  JobDescription d;
  d.executable = "true";
  d.scheduler_arguments = {"--hold"};
  // Interleaved, alternating which goes first, so both see the same queue length and
  // controller load (a submit right after another one meets a busier slurmctld).
  double bare_seconds = 0, ours_seconds = 0;
  auto bare_submit = [&] {
    const double begin = now_seconds();
    auto r = runner.run({"sbatch", "--parsable", "--hold", "-o", "/dev/null", "--wrap", "true"});
    bare_seconds += now_seconds() - begin;
    if (r.exit_code != 0) throw std::runtime_error("sbatch failed: " + r.stderr_text);
    ids.push_back(std::string(detail::trim(r.stdout_text.substr(0, r.stdout_text.find('\n')))));
  };
  auto our_submit = [&] {
    const double begin = now_seconds();
    ids.push_back(scheduler->submit(d));
    ours_seconds += now_seconds() - begin;
  };
  for (int i = 0; i < m; ++i) {
    if (i % 2 == 0) {
      bare_submit();
      our_submit();
    } else {
      our_submit();
      bare_submit();
    }
  }
  const double bare = m / bare_seconds;
  const double ours = m / ours_seconds;
  cancel_all(ids);
  scheduler.reset();  // it writes its last records into the sandboxes as it closes
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  print_result("slurm-submit-throughput", {{"jobs", std::to_string(m)},
                                           {"command_timeout", args.size() > 1 ? args[1] : "60s"},
                                           {"ours_jobs_per_s", fmt(ours, 1)},
                                           {"bare_sbatch_jobs_per_s", fmt(bare, 1)},
                                           {"ratio", fmt(ours / bare)}});
  return 0;
}

int array_submit(const std::vector<std::string>& args) {
  const int n = args.empty() ? 1000 : std::stoi(args[0]);
  CommandLog commands;
  LocalRunner runner;
  std::vector<std::string> ids;
  // Held: nothing runs, so the measurement is the submit alone and every element stays
  // active for the poll count below.
  double bare_seconds = 0;
  auto bare_loop = [&](int count) {
    const double begin = now_seconds();
    for (int i = 0; i < count; ++i) {
      auto r = runner.run(
          {"/usr/bin/sbatch", "--parsable", "--hold", "-o", "/dev/null", "--wrap", "true"});
      if (r.exit_code != 0) throw std::runtime_error("sbatch failed: " + r.stderr_text);
      ids.push_back(std::string(detail::trim(r.stdout_text.substr(0, r.stdout_text.find('\n')))));
    }
    bare_seconds += now_seconds() - begin;
  };
  auto scheduler = open_scheduler(
      "slurm://",
      {{{"sandbox.root", (commands.dir / "jobs").string()}, {"poll.interval.max", "2s"}}, {}});
  JobDescription d;
  d.executable = "true";
  d.scheduler_arguments = {"--hold"};
  d.array = ArraySpec::of_count(n);
  // The bare loop in two halves around ours, so both meet the same queue length.
  bare_loop(n / 2);
  const double ours_begin = now_seconds();
  const std::string array_id = scheduler->submit(d);
  const double ours_seconds = now_seconds() - ours_begin;
  bare_loop(n - n / 2);
  ids.push_back(array_id);

  // The poller tracks every element; count what it runs in a window of its rounds.
  const JobStatus first = scheduler->status(array_id);
  std::this_thread::sleep_for(3s);
  const auto before = commands.counts();
  std::this_thread::sleep_for(12s);
  const auto after = commands.counts();
  auto delta = [&](const char* name) {
    return (after.count(name) ? after.at(name) : 0) - (before.count(name) ? before.at(name) : 0);
  };
  const int polls = delta("squeue");
  const int status_commands = delta("squeue") + delta("sacct");
  const JobStatus last = scheduler->status(array_id);
  const auto queued =
      std::count_if(last.array_elements.begin(), last.array_elements.end(),
                    [](const ArrayElementStatus& e) { return e.state == JobState::kQueued; });
  cancel_all(ids);
  print_result("slurm-array-submit",
               {{"jobs", std::to_string(n)},
                {"bare_sbatch_loop_s", fmt(bare_seconds, 3)},
                {"ours_one_array_s", fmt(ours_seconds, 3)},
                {"ratio", fmt(bare_seconds / ours_seconds, 1)},
                {"elements_tracked", std::to_string(first.array_elements.size())},
                {"elements_queued_at_end", std::to_string(queued)},
                {"polls_in_window", std::to_string(polls)},
                {"status_commands_per_poll",
                 fmt(polls > 0 ? static_cast<double>(status_commands) / polls : 0)}});
  return 0;
}

CUTTLE_BENCH_SCENARIO("slurm-poll-load",
                      "[N=500] scheduler commands per poll for N tracked Slurm jobs; end-to-known",
                      poll_load);
CUTTLE_BENCH_SCENARIO("slurm-submit-throughput",
                      "[M=100] jobs/s through the API vs a bare sbatch loop", submit_throughput);
CUTTLE_BENCH_SCENARIO("slurm-array-submit",
                      "[N=1000] one N-element array vs a bare loop of N sbatch; status commands "
                      "per poll while tracking every element",
                      array_submit);

}  // namespace
}  // namespace cuttle::bench
