// Test-only stand-in for `cuttle serve` until the cuttle command exists: the REST tests
// start this binary as a real, separate process.
#include <string>
#include <vector>

#include "bindings/rest/serve.h"
#include "bindings/rest/service_allocator.h"

int main(int argc, char** argv) {
  cuttle::rest::use_service_allocator(argv);  // as `cuttle serve` does
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "serve") args.erase(args.begin());
  return cuttle::rest::serve_main(args);
}
