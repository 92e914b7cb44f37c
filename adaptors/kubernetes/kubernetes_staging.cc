// kubernetes:// staging through the API server: once the pod runs (its wrapper waiting),
// the inputs are copied into /work over pods/exec and the command released; once the
// wrapper recorded the exit code, the outputs are copied back and the pod released.
// The copies are core's Sandbox over a PodFileSystem; the stage-out rule is core's.
#include "adaptors/kubernetes/job_manifest.h"
#include "adaptors/kubernetes/job_steps.h"
#include "adaptors/kubernetes/kubernetes_scheduler.h"
#include "adaptors/kubernetes/pod_file_system.h"
#include "cuttle/error.h"
#include "cuttle/sandbox.h"
#include "internal/finish_step.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

const std::string kMarkers = kMarkerDirectory;

}  // namespace

std::shared_ptr<PodFileSystem> KubernetesScheduler::pod_files(const Job& job,
                                                              const std::string& container) const {
  PodTarget target{api_, namespace_, job.pod["metadata"].value("name", ""), container};
  return std::make_shared<PodFileSystem>(std::move(target));
}

void KubernetesScheduler::stage_in(const std::string& id, const Job& job) {
  // The first step of a job with steps is an init container, which waits like the main
  // container of a job without.
  auto files = pod_files(job, first_container(job.pod));
  if (files->stat(kMarkers + "/go")) {  // another scheduler object staged it in already
    std::lock_guard lock(mutex_);
    jobs_.at(id).staged_in = true;
    return;
  }
  try {
    Sandbox sandbox(files, "/", "work");
    LocalFileSystem client;
    files->create_directories(kMarkers, 0700);
    sandbox.stage_in(client, *job.description);
    // The directories the outputs go to exist before the command starts (the seed's
    // convention: `ls > /work/output/x` works without a mkdir).
    // As core's wrapper does: the source's directory part as written, so a directory
    // output ("output/") exists itself.
    for (std::size_t i = 0; i < job.description->stage_out.size(); ++i) {
      const std::string& source = job.description->stage_out[i].source;
      const std::size_t slash = source.find_last_of('/');
      if (slash == std::string::npos || slash == 0) continue;
      files->create_directories(
          sandbox.resolve(source.substr(0, slash), "stage_out[" + std::to_string(i) + "].source"),
          0755);
    }
    files->write_file(kMarkers + "/go", "", 0600);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kConnectionFailed) throw;  // transient: the next round
    Outcome outcome;
    outcome.state = JobState::kError;
    outcome.native_state = "StageInFailed";
    outcome.error = std::string("stage-in failed: ") + e.what();
    outcome.reason = outcome.error;
    {
      std::lock_guard lock(mutex_);
      jobs_.at(id).cancelled = true;  // our deletion, not someone else's
    }
    delete_job_and_reap(id);
    finish(id, outcome, false);
    return;
  }
  std::lock_guard lock(mutex_);
  jobs_.at(id).staged_in = true;
  jobs_.at(id).dirty = true;
}

void KubernetesScheduler::collect_outputs(const std::string& id, const Job& job) {
  auto files = pod_files(job, kMainContainer);
  auto [code, text] =
      run_in_pod({api_, namespace_, job.pod["metadata"].value("name", ""), kMainContainer},
                 {"cat", kMarkers + "/exit"});
  if (code != 0) return;                  // still running
  if (files->stat(kMarkers + "/done")) {  // another scheduler object staged it out
    std::lock_guard lock(mutex_);
    jobs_.at(id).command_done = true;
    return;
  }
  std::string problems;
  if (!job.description->stage_out.empty()) {
    if (auto known = cached(id)) {
      JobStatus staging = *known;
      staging.state = JobState::kStagingOut;
      staging.native_state = "staging-out";
      staging.reason = "copying output back";
      publish(staging);
    }
    Sandbox sandbox(files, "/", "work");
    LocalFileSystem client;
    for (const std::string& p : sandbox.stage_out(client, *job.description)) {
      problems += (problems.empty() ? "" : "; ") + p;
    }
  }
  // Recorded on the Job before the pod is released, so the final state reads the same in
  // every process.
  nlohmann::json patch = {{"metadata", {{"annotations", {{kStagedOutAnnotation, problems}}}}}};
  ApiResponse response =
      api_->request("PATCH", job_path(id), patch.dump(), "application/merge-patch+json");
  if (response.status != 200) {
    throw ConnectionFailed("record the stage-out on " + job_object_name(id) + ": " +
                           response.describe());
  }
  files->write_file(kMarkers + "/done", "", 0600);
  std::lock_guard lock(mutex_);
  Job& stored = jobs_.at(id);
  stored.command_done = true;
  stored.stage_out_problems = problems;
}

void KubernetesScheduler::apply_staging_outcome(const std::string& id, const Job& job,
                                                JobStatus& status) const {
  if (!job.wrapped || !job.description || job.description->stage_out.empty()) return;
  if (job.command_done) {
    apply_stage_out_outcome(status, job.stage_out_problems);
    return;
  }
  // Staged out by another scheduler object: its record on the Job.
  if (auto object = job_informer_->get(job_object_name(id))) {
    const nlohmann::json annotations =
        (*object)["metadata"].value("annotations", nlohmann::json::object());
    if (auto it = annotations.find(kStagedOutAnnotation);
        it != annotations.end() && it->is_string()) {
      apply_stage_out_outcome(status, it->get<std::string>());
      return;
    }
  }
  if (status.state != JobState::kCancelled) {
    apply_stage_out_outcome(status, "the pod ended before its outputs could be copied");
  }
}

}  // namespace cuttle::detail
