// Test-only `cuttle serve` with a fault in every configured scheduler, chosen by the
// environment variable CUTTLE_TEST_FAULT:
//   (unset)             dies (exit 137, no cleanup, like kill -9) right after its
//                       scheduler accepted the first job and before the service stored the
//                       backend id: the one crash window the recovery test must cover
//   find-unanswered=N   the first N find_by_name calls fail as an unreachable scheduler
//                       does (ConnectionFailed): recovery must search again, not guess
// The fault is injected from the test side, by a decorator around every configured
// scheduler; the service itself has no fault hook.
#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "bindings/rest/serve.h"
#include "bindings/rest/service_allocator.h"
#include "cuttle/error.h"
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

// find_by_name fails `failures` times before it answers.
class UnansweredSearch : public cuttle::rest::testing::ForwardingScheduler {
 public:
  UnansweredSearch(std::shared_ptr<cuttle::Scheduler> target, int failures)
      : ForwardingScheduler(std::move(target)), failures_(failures) {}
  std::vector<std::string> find_by_name(const std::string& name) override {
    if (failures_-- > 0) throw cuttle::ConnectionFailed("test fault: the scheduler did not answer");
    return target().find_by_name(name);
  }

 private:
  std::atomic<int> failures_;
};

}  // namespace

int main(int argc, char** argv) {
  cuttle::rest::use_service_allocator(argv);  // as `cuttle serve` does
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "serve") args.erase(args.begin());
  return cuttle::rest::serve_main(
      args,
      [](const std::string&,
         std::shared_ptr<cuttle::Scheduler> scheduler) -> std::shared_ptr<cuttle::Scheduler> {
        const char* fault = std::getenv("CUTTLE_TEST_FAULT");
        const std::string unanswered = "find-unanswered=";
        if (fault && std::string(fault).rfind(unanswered, 0) == 0) {
          return std::make_shared<UnansweredSearch>(
              std::move(scheduler), std::stoi(std::string(fault).substr(unanswered.size())));
        }
        return std::make_shared<ExitAfterSubmit>(std::move(scheduler));
      });
}
