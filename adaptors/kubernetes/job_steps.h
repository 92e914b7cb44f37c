// Jobs with steps (docs/steps.md) on kubernetes://: one pod whose steps run in order as
// its init containers, the last step as the main container, all sharing /work. Each step
// runs under a small sh wrapper (pod_wrapper.h) that skips it after an earlier failure or
// the deadline, redirects its stdin/stdout/stderr, holds the steps to the job's
// max_runtime, and writes its record ("CODE [CAUSE]") as the container's termination
// message (as Tekton reports its steps): init containers always exit 0, so the pod reaches
// the main container, which exits with the job's exit code (and holds for stage-out).
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cuttle/job_description.h"

namespace cuttle::detail {

// On the Job: the number of steps, so every reader knows to read their exit codes.
inline constexpr const char* kStepsAnnotation = "cuttle.dev/steps";

// The pod's containers for `d.steps`: init containers `step0`..`step<N-2>` and the main
// container. `base` holds what every container of the job shares (volume mounts,
// resources, security context). A step without an image runs in `default_image` (the
// job's "host"). `cancel_grace`: the wrappers' TERM to KILL at the deadline. Throws
// InvalidJobDescription or Unsupported naming `steps[N].field`.
struct StepContainers {
  nlohmann::json init = nlohmann::json::array();
  nlohmann::json main;
};
StepContainers step_containers(const JobDescription& d, const std::string& default_image,
                               const nlohmann::json& base, std::chrono::seconds cancel_grace);

// The name of the container a job's command starts in (where stage-in copies to).
std::string first_container(const nlohmann::json& pod);
// Every container of the pod in the order they run (init containers, then the others).
std::vector<std::string> containers_in_order(const nlohmann::json& pod);
// Whether the pod's container `name` (init or not) is running now.
bool container_running(const nlohmann::json& pod, const std::string& name);
// The exit codes of the steps that ran, in order, from the containers' termination
// messages (their wrappers' records); a step skipped, or never started, has none.
std::vector<int> step_exit_codes(const nlohmann::json& pod);

}  // namespace cuttle::detail
