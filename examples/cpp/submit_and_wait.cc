// Submits one command to a scheduler, prints every state change it goes through, waits
// for the end and exits with the job's exit code.
//   submit_and_wait [--property key=value]... LOCATION -- COMMAND [ARG]...
//   submit_and_wait local:// -- sh -c 'echo hi; sleep 1'
//   submit_and_wait --property mode=detached local:// -- sleep 2
#include <cuttle/cuttle.h>

#include <iostream>
#include <string>
#include <vector>

namespace {

int usage() {
  std::cerr << "usage: submit_and_wait [--property key=value]... LOCATION -- COMMAND [ARG]...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  cuttle::SchedulerOptions options;
  std::string location;
  cuttle::JobDescription job;
  int i = 1;
  for (; i < argc && std::string(argv[i]) != "--"; ++i) {
    std::string arg = argv[i];
    if (arg == "--property" && i + 1 < argc) {
      std::string pair = argv[++i];
      auto equals = pair.find('=');
      if (equals == std::string::npos) return usage();
      options.properties[pair.substr(0, equals)] = pair.substr(equals + 1);
    } else if (location.empty()) {
      location = arg;
    } else {
      return usage();
    }
  }
  if (location.empty() || i + 1 >= argc) return usage();
  job.executable = argv[i + 1];
  job.arguments.assign(argv + i + 2, argv + argc);
  job.name = "submit_and_wait";

  try {
    std::shared_ptr<cuttle::Scheduler> scheduler = cuttle::open_scheduler(location, options);
    // Listeners run on the adaptor's thread: keep them short.
    auto subscription = scheduler->subscribe([](const cuttle::JobStatus& status) {
      std::cerr << status.id << ": " << cuttle::to_string(status.state)
                << (status.reason.empty() ? "" : " (" + status.reason + ")") << "\n";
    });
    std::string id = scheduler->submit(job);
    std::cerr << "submitted " << id << " to " << location << "\n";
    cuttle::JobStatus status = scheduler->wait_until_done(id, std::chrono::hours(24));
    subscription.reset();
    std::cerr << id << " ended " << cuttle::to_string(status.state);
    if (status.exit_code) std::cerr << " with exit code " << *status.exit_code;
    std::cerr << "\n";
    if (status.state == cuttle::JobState::kCompleted) return 0;
    return status.exit_code.value_or(1) == 0 ? 1 : *status.exit_code;
  } catch (const cuttle::InvalidJobDescription& e) {
    std::cerr << "submit_and_wait: invalid job (" << e.field() << "): " << e.reason() << "\n";
    return 2;
  } catch (const cuttle::Error& e) {
    std::cerr << "submit_and_wait: " << cuttle::to_string(e.kind()) << ": " << e.what() << "\n";
    return 1;
  }
}
