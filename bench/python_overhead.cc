// Scenario python-overhead: /bin/true jobs on local:// submitted and waited from Python
// (bench/python_overhead.py through the cuttle module) against the same loop in C++, in
// the same run, each half in a fresh process. ratio = Python / C++ throughput (goal >= 0.7).
//   cuttle-bench python-overhead [COUNT] [ROUNDS]
// Environment: CUTTLE_PYTHON (interpreter; default /usr/bin/python3), CUTTLE_PYTHONPATH
// (the directory holding the cuttle package; default <build>/bindings/python, found from
// this executable's own path).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "bench/scenario.h"
#include "cuttle/cuttle.h"

namespace cuttle::bench {
namespace {

namespace fs = std::filesystem;

double cxx_jobs_per_second(int count) {
  auto scheduler = open_scheduler("local://");
  JobDescription description;
  description.executable = "/bin/true";
  scheduler->wait_until_done(scheduler->submit(description), std::chrono::minutes(1));  // warm-up
  const double begin = now_seconds();
  std::vector<std::string> ids;
  ids.reserve(count);
  for (int i = 0; i < count; ++i) ids.push_back(scheduler->submit(description));
  for (const auto& id : ids) {
    JobStatus status = scheduler->wait_until_done(id, std::chrono::minutes(5));
    if (status.state != JobState::kCompleted)
      throw std::runtime_error("job " + id + " ended " + std::string(to_string(status.state)));
  }
  return count / (now_seconds() - begin);
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

double parse_result(const std::string& output, const std::string& who) {
  const std::string key = "jobs_per_second=";
  auto at = output.rfind(key);
  if (at == std::string::npos) throw std::runtime_error(who + " printed no result: " + output);
  return std::stod(output.substr(at + key.size()));
}

// The C++ half runs in a fresh process too, so that both halves start equal (no threads,
// descriptors or caches left over from earlier rounds).
double cxx_child_jobs_per_second(int count) {
  LocalRunner runner;
  CommandResult result =
      run_checked(runner, {fs::read_symlink("/proc/self/exe").string(), "python-overhead",
                           "--cxx-child", std::to_string(count)});
  return parse_result(result.stdout_text, "the C++ child");
}

double python_jobs_per_second(int count) {
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  const std::string python_path = env_or(
      "CUTTLE_PYTHONPATH", (exe.parent_path().parent_path() / "bindings" / "python").string());
  if (!fs::exists(fs::path(python_path) / "cuttle" / "__init__.py"))
    throw std::runtime_error("no cuttle package in " + python_path +
                             " (build the cuttle_python target, or set CUTTLE_PYTHONPATH)");
  const std::string script = (fs::path(__FILE__).parent_path() / "python_overhead.py").string();
  const std::string python =
      env_or("CUTTLE_PYTHON", fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  LocalRunner runner;
  CommandResult result = run_checked(
      runner, {"/usr/bin/env", "PYTHONPATH=" + python_path, python, script, std::to_string(count)});
  return parse_result(result.stdout_text, "python_overhead.py");
}

int run(const std::vector<std::string>& args) {
  if (args.size() == 2 && args[0] == "--cxx-child") {
    std::cout << "jobs_per_second=" << fmt(cxx_jobs_per_second(std::stoi(args[1])), 3) << std::endl;
    return 0;
  }
  const int count = args.size() > 0 ? std::stoi(args[0]) : 500;
  const int rounds = args.size() > 1 ? std::stoi(args[1]) : 5;
  // Alternate the two so that drift in machine load hits both; keep each side's best.
  double cxx = 0, python = 0;
  for (int round = 0; round < rounds; ++round) {
    double c = cxx_child_jobs_per_second(count);
    double p = python_jobs_per_second(count);
    std::cerr << "round " << round + 1 << ": c++ " << fmt(c, 1) << " jobs/s, python " << fmt(p, 1)
              << " jobs/s\n";
    cxx = std::max(cxx, c);
    python = std::max(python, p);
  }
  print_result("python-overhead", {{"jobs", std::to_string(count)},
                                   {"rounds", std::to_string(rounds)},
                                   {"python_jobs_per_s", fmt(python, 1)},
                                   {"cxx_jobs_per_s", fmt(cxx, 1)},
                                   {"ratio", fmt(python / cxx, 3)},
                                   {"goal", "0.7"}});
  return 0;
}

CUTTLE_BENCH_SCENARIO("python-overhead",
                      "local:// /bin/true jobs submitted and waited from Python vs C++ "
                      "[COUNT=500] [ROUNDS=5]",
                      run);

}  // namespace
}  // namespace cuttle::bench
