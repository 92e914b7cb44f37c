// Runs `/bin/sh -c 'exit N'` on the location given (default local://) and exits with
// the job's exit code: the smallest useful Cuttle program.
#include <cuttle/cuttle.h>

#include <iostream>

int main(int argc, char** argv) {
  const std::string location = argc > 1 ? argv[1] : "local://";
  const std::string code = argc > 2 ? argv[2] : "0";
  try {
    auto scheduler = cuttle::open_scheduler(location);
    cuttle::JobDescription job;
    job.executable = "/bin/sh";
    job.arguments = {"-c", "exit " + code};
    std::string id = scheduler->submit(job);
    cuttle::JobStatus status = scheduler->wait_until_done(id, std::chrono::minutes(5));
    std::cout << id << " " << cuttle::to_string(status.state) << " exit "
              << status.exit_code.value_or(-1) << "\n";
    return status.exit_code.value_or(125);
  } catch (const cuttle::Error& e) {
    std::cerr << "hello_cuttle: " << e.what() << "\n";
    return 1;
  }
}
