// container-overhead: container jobs through Cuttle (local://, podman, the busybox image,
// /bin/true) against a bare `podman run --rm` loop of the same image in the same run, and
// against the same loop with the flags Cuttle adds that change podman's work (`--init
// --network none`: no network setup is cheaper, an init process dearer).
// Both run the same number of jobs with the same parallelism; podman reads its
// configuration from CONTAINERS_CONF / CONTAINERS_STORAGE_CONF as for the tests
// (eval "$(tests/env/podman.sh start)").
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/scenario.h"
#include "cuttle/cuttle.h"

namespace cuttle::bench {
namespace {

using namespace std::chrono_literals;

std::string option(const std::vector<std::string>& args, const std::string& name,
                   const std::string& fallback) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) return args[i + 1];
  }
  return fallback;
}

// Runs `one(i)` for i in [0, jobs) from `workers` threads; returns jobs per second.
template <typename Fn>
double jobs_per_second(int jobs, int workers, Fn one) {
  std::atomic<int> next{0};
  std::mutex mutex;
  std::string failure;
  const double begin = now_seconds();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (int i = next.fetch_add(1); i < jobs; i = next.fetch_add(1)) {
        std::string problem = one(i);
        if (problem.empty()) continue;
        std::lock_guard lock(mutex);
        failure = problem;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = now_seconds() - begin;
  if (!failure.empty()) throw std::runtime_error(failure);
  return jobs / elapsed;
}

// `flags` go between `run --rm` and the image: none (the reference), or the
// ones Cuttle's podman table renders, so the second reference costs podman the same work.
double bare_podman(const std::string& image, int jobs, int workers,
                   const std::vector<std::string>& flags = {}) {
  std::vector<std::string> argv = {"podman", "run", "--rm"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {image, "/bin/true"});
  return jobs_per_second(jobs, workers, [&](int) -> std::string {
    LocalRunner runner;
    CommandResult r = runner.run(argv);
    return r.exit_code == 0
               ? ""
               : "podman run exited " + std::to_string(r.exit_code) + ": " + r.stderr_text;
  });
}

double through_cuttle(Scheduler& scheduler, const std::string& image, int jobs, int workers) {
  JobDescription d;
  d.executable = "/bin/true";
  d.container_image = image;
  d.container.runtime = ContainerRuntime::kPodman;
  return jobs_per_second(jobs, workers, [&](int) -> std::string {
    JobStatus s = scheduler.wait_until_done(scheduler.submit(d), 120s);
    return s.state == JobState::kCompleted
               ? ""
               : "job ended " + std::string(to_string(s.state)) + ": " + s.reason;
  });
}

int container_overhead(const std::vector<std::string>& args) {
  const std::string scenario = "container-overhead";
  const std::string image = option(args, "--image", "localhost/busybox:latest");
  const int jobs = std::stoi(option(args, "--jobs", "20"));
  const int workers = std::stoi(option(args, "--workers", "1"));
  const int rounds = std::stoi(option(args, "--rounds", "3"));
  const std::string root = (std::filesystem::temp_directory_path() /
                            ("cuttle-bench-container-" + std::to_string(::getpid())))
                               .string();
  auto scheduler = open_scheduler("local://", {{{"sandbox.root", root}}, {}});
  // Warm up both paths (image layers in the page cache, podman's own state) first.
  bare_podman(image, 2, 1);
  through_cuttle(*scheduler, image, 2, 1);
  // Interleaved rounds, best of each: a burst of foreign load hits one round, not the
  // comparison.
  const std::vector<std::string> same_flags = {"--init", "--network", "none"};
  double bare = 0;
  double bare_same = 0;
  double ours = 0;
  for (int round = 0; round < rounds; ++round) {
    bare = std::max(bare, bare_podman(image, jobs, workers));
    bare_same = std::max(bare_same, bare_podman(image, jobs, workers, same_flags));
    ours = std::max(ours, through_cuttle(*scheduler, image, jobs, workers));
  }
  scheduler.reset();
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  print_result(scenario, {{"jobs", std::to_string(jobs)},
                          {"workers", std::to_string(workers)},
                          {"rounds", std::to_string(rounds)},
                          {"jobs_per_s", fmt(ours, 2)},
                          {"bare_podman_jobs_per_s", fmt(bare, 2)},
                          {"ratio", fmt(ours / bare, 2)},
                          {"bare_init_nonet_jobs_per_s", fmt(bare_same, 2)},
                          {"ratio_init_nonet", fmt(ours / bare_same, 2)},
                          {"goal", "0.9"}});
  return 0;
}

CUTTLE_BENCH_SCENARIO("container-overhead",
                      "container jobs (local://, podman, busybox /bin/true) vs a bare "
                      "`podman run --rm` loop of the same image [--jobs 20] [--workers 1] "
                      "[--rounds 3] [--image REF]",
                      container_overhead);

}  // namespace
}  // namespace cuttle::bench
