// The scheduler a container conformance target runs the suite through: every job it
// submits gets the target's image and runtime (a job with steps: each step), so the suite's tests,
// written for plain jobs, run once more in a container on the same adaptor. Thread-safety: as the
// wrapped scheduler's; the image and runtime are immutable.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "tests/integration/rest/forwarding_scheduler.h"

namespace cuttle::conformance {

class ImageScheduler : public rest::testing::ForwardingScheduler {
 public:
  ImageScheduler(std::shared_ptr<Scheduler> target, std::string image, ContainerRuntime runtime)
      : ForwardingScheduler(std::move(target)), image_(std::move(image)), runtime_(runtime) {}

  std::string submit(const JobDescription& description) override {
    JobDescription in_image = description;
    if (description.steps.empty()) in_image.container_image = image_;
    // A job with steps has no image of its own: each step without one gets it.
    for (JobStep& step : in_image.steps) {
      if (step.container_image.empty()) step.container_image = image_;
    }
    in_image.container.runtime = runtime_;
    return target().submit(in_image);
  }

 private:
  std::string image_;
  ContainerRuntime runtime_;
};

}  // namespace cuttle::conformance
