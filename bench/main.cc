// cuttle-bench SCENARIO [ARGS...]: runs one benchmark scenario; `cuttle-bench` lists them.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "bench/scenario.h"

namespace cuttle::bench {

std::map<std::string, ScenarioInfo>& scenarios() {
  static std::map<std::string, ScenarioInfo> all;
  return all;
}

void print_result(const std::string& scenario,
                  const std::vector<std::pair<std::string, std::string>>& fields) {
  std::ostringstream line;
  line << "RESULT " << scenario;
  for (const auto& [key, value] : fields) line << ' ' << key << '=' << value;
  std::cout << line.str() << std::endl;
}

std::string fmt(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace cuttle::bench

int main(int argc, char** argv) {
  auto& all = cuttle::bench::scenarios();
  if (argc < 2 || all.find(argv[1]) == all.end()) {
    std::cerr << "usage: cuttle-bench SCENARIO [ARGS...]\nscenarios:\n";
    for (const auto& [name, info] : all) std::cerr << "  " << name << "  " << info.help << "\n";
    return argc < 2 ? 0 : 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return all[argv[1]].run(args);
  } catch (const std::exception& e) {
    std::cerr << "cuttle-bench: " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
}
