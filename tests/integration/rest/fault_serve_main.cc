// Test-only `cuttle serve` that dies (exit 137, no cleanup, like kill -9) right after its
// scheduler accepted the first job and before the service stored the backend id: the one
// crash window the recovery test must cover. The fault is injected from the test side, by
// a decorator around every configured scheduler; the service itself has no fault hook.
#include <cstdlib>
#include <string>
#include <vector>

#include "bindings/rest/serve.h"
#include "bindings/rest/service_allocator.h"
#include "tests/integration/rest/forwarding_scheduler.h"

namespace {

class ExitAfterSubmit : public cuttle::rest::testing::ForwardingScheduler {
 public:
  using ForwardingScheduler::ForwardingScheduler;
  std::string submit(const cuttle::JobDescription& description) override {
    target().submit(description);
    std::_Exit(137);
  }
};

}  // namespace

int main(int argc, char** argv) {
  cuttle::rest::use_service_allocator(argv);  // as `cuttle serve` does
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "serve") args.erase(args.begin());
  return cuttle::rest::serve_main(
      args, [](const std::string&, std::shared_ptr<cuttle::Scheduler> scheduler) {
        return std::make_shared<ExitAfterSubmit>(std::move(scheduler));
      });
}
