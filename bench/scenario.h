// Benchmark scenarios of bench/cuttle-bench. Each scenario measures our figure AND a
// reference in the same run, and ends with one line:
//   RESULT <scenario> key=value ...
// Scenarios register themselves in this executable (static registration is fine in a
// program; the library never does it).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cuttle::bench {

using ScenarioFn = std::function<int(const std::vector<std::string>& args)>;

struct ScenarioInfo {
  std::string help;
  ScenarioFn run;
};

std::map<std::string, ScenarioInfo>& scenarios();

struct Registrar {
  Registrar(const std::string& name, const std::string& help, ScenarioFn fn) {
    scenarios()[name] = {help, std::move(fn)};
  }
};

// Prints "RESULT <scenario> k=v k=v" (values as given) and flushes.
void print_result(const std::string& scenario,
                  const std::vector<std::pair<std::string, std::string>>& fields);
std::string fmt(double value, int decimals = 2);
// Seconds since an arbitrary epoch (steady clock).
double now_seconds();

}  // namespace cuttle::bench

#define CUTTLE_BENCH_CAT2(a, b) a##b
#define CUTTLE_BENCH_CAT(a, b) CUTTLE_BENCH_CAT2(a, b)
#define CUTTLE_BENCH_SCENARIO(name, help, fn) \
  static ::cuttle::bench::Registrar CUTTLE_BENCH_CAT(cuttle_bench_registrar_, __LINE__)(name, help, fn)
