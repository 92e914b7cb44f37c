// kubernetes:// extend. The pod's wrapper holds the command to its time allocation
// (pod_wrapper.h), so an extension has to reach the pod: it is recorded on the Job first
// (the allocation annotation, and the backstop activeDeadlineSeconds moved by as much, in
// one JSON patch guarded by a test of the allocation, so concurrent extends from several
// processes add up), then written into the pod's allocation marker over pods/exec, which
// the wrapper's watchdog re-reads when the allocation it knows runs out. A pod with no
// running container yet is told by the poll loop once one runs (housekeep), by this or
// any other scheduler object that tracks the job. (A downward-API volume would need no
// exec, but the kubelet refreshes it only on its periodic sync, a minute or more: an
// extension shortly before the deadline would come too late.)
#include <algorithm>
#include <tuple>

#include "adaptors/kubernetes/job_manifest.h"
#include "adaptors/kubernetes/job_steps.h"
#include "adaptors/kubernetes/kubernetes_scheduler.h"
#include "adaptors/kubernetes/pod_exec.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

// Concurrent extends each retry their patch after a failed test of the allocation.
constexpr int kPatchAttempts = 5;
constexpr int kEnded = 3;
// Far beyond any job, far from where the seconds would overflow.
constexpr std::int64_t kMaxAllocation = 1'000'000'000'000'000;

// Writes $1 into the allocation marker unless it holds as much already (deliveries may
// race; extensions only grow the allocation), through a rename so the watchdog never
// reads a half-written marker. Exits kEnded with the record on stdout when the command
// already ended.
constexpr const char* kWriteAllocation =
    "m=/work/.cuttle\n"
    "if [ -s \"$m/exit\" ]; then cat \"$m/exit\"; exit 3; fi\n"
    "[ -d \"$m\" ] || mkdir -p \"$m\" || exit 1\n"
    "if [ -s \"$m/allocation\" ]; then read -r n < \"$m/allocation\"\n"
    "  case $n in ''|*[!0-9]*) ;; *) [ \"$n\" -lt \"$1\" ] || exit 0 ;; esac\n"
    "fi\n"
    "echo \"$1\" > \"$m/allocation.part\" && mv -f \"$m/allocation.part\" \"$m/allocation\"\n";

// An annotation holding a number of seconds, or nullopt.
std::optional<std::int64_t> seconds_annotation(const nlohmann::json& object, const char* key) {
  const nlohmann::json annotations = object.value("metadata", nlohmann::json::object())
                                         .value("annotations", nlohmann::json::object());
  auto it = annotations.find(key);
  if (it == annotations.end() || !it->is_string()) return std::nullopt;
  const std::string text = it->get<std::string>();
  if (text.empty() || text.size() > 15 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(text);
}

// A JSON pointer to an annotation (RFC 6901: "/" is written "~1").
std::string annotation_pointer(const std::string& key) {
  std::string escaped;
  for (char c : key) escaped += c == '/' ? std::string("~1") : std::string(1, c);
  return "/metadata/annotations/" + escaped;
}

}  // namespace

JobStatus KubernetesScheduler::extend(const std::string& id, std::chrono::seconds by) {
  if (by.count() <= 0) throw InvalidArgument("extend: the extension must be positive");
  track(id);
  if (auto known = cached(id); known && known->done()) {
    throw InvalidArgument("extend: job " + id + " is already " +
                          std::string(to_string(known->state)));
  }
  const nlohmann::json object = record_extension(id, by);
  Job job;
  {
    std::lock_guard lock(mutex_);
    job = jobs_.at(id);
  }
  deliver_allocation(id, job, object, true);
  return *cached(id);
}

nlohmann::json KubernetesScheduler::record_extension(const std::string& id,
                                                     std::chrono::seconds by) {
  for (int attempt = 1;; ++attempt) {
    ApiResponse current = api_->request("GET", job_path(id));
    if (current.status != 200) {
      throw ConnectionFailed("extend: GET " + job_object_name(id) + ": " + current.describe());
    }
    const nlohmann::json object = nlohmann::json::parse(current.body);
    const nlohmann::json spec = object.value("spec", nlohmann::json::object());
    const std::optional<std::int64_t> allocation =
        seconds_annotation(object, kAllocationAnnotation);
    auto backstop = spec.find("activeDeadlineSeconds");
    if (!allocation || backstop == spec.end() || !backstop->is_number_integer()) {
      throw InvalidArgument("extend: job " + id + " has no max_runtime to extend");
    }
    if (by.count() > kMaxAllocation - std::max(*allocation, backstop->get<std::int64_t>())) {
      throw InvalidArgument("extend: by " + std::to_string(by.count()) + " s the allocation of " +
                            job_object_name(id) + " would exceed " +
                            std::to_string(kMaxAllocation) + " s");
    }
    const std::string pointer = annotation_pointer(kAllocationAnnotation);
    const std::int64_t total = *allocation + by.count();
    const std::int64_t new_backstop = backstop->get<std::int64_t>() + by.count();
    const nlohmann::json patch = nlohmann::json::array(
        {{{"op", "test"}, {"path", pointer}, {"value", std::to_string(*allocation)}},
         {{"op", "replace"}, {"path", pointer}, {"value", std::to_string(total)}},
         {{"op", "replace"}, {"path", "/spec/activeDeadlineSeconds"}, {"value", new_backstop}}});
    ApiResponse response =
        api_->request("PATCH", job_path(id), patch.dump(), "application/json-patch+json");
    if (response.status == 200) return nlohmann::json::parse(response.body);
    // 422: the test failed, another extend changed the allocation since the GET.
    if (response.status == 422 && attempt < kPatchAttempts) continue;
    throw InvalidArgument("extend: the API server refused the allocation " + std::to_string(total) +
                          " s (activeDeadlineSeconds " + std::to_string(new_backstop) + ") for " +
                          job_object_name(id) + ": " + response.describe());
  }
}

void KubernetesScheduler::deliver_allocation(const std::string& id, const Job& job,
                                             const nlohmann::json& object, bool from_extend) {
  const std::optional<std::int64_t> wanted = seconds_annotation(object, kAllocationAnnotation);
  const std::optional<std::int64_t> told = seconds_annotation(object, kAllocationInPodAnnotation);
  if (!wanted || (told && *told >= *wanted)) return;
  if (job.allocation_in_pod && *job.allocation_in_pod >= *wanted) return;
  std::string container;
  for (const std::string& name : containers_in_order(job.pod)) {
    if (container_running(job.pod, name)) container = name;
  }
  if (container.empty()) return;  // not started (or ended): the poll loop tries again
  const std::string pod = job.pod["metadata"].value("name", "");
  std::string problem;
  int code = 0;
  std::string out;
  try {
    std::tie(code, out) = run_in_pod(
        {api_, namespace_, pod, container},
        {"/bin/sh", "-c", kWriteAllocation, "sh", std::to_string(*wanted)}, {}, &problem);
  } catch (const Error& e) {
    if (from_extend) throw;
    code = -1;
    problem = e.what();
  }
  if (code == kEnded) {
    {
      std::lock_guard lock(mutex_);
      jobs_.at(id).allocation_in_pod = *wanted;  // too late for this pod: nothing to tell
    }
    if (from_extend) {
      throw InvalidArgument("extend: job " + id + " already ended (its wrapper recorded \"" +
                            out.substr(0, out.find('\n')) + "\")");
    }
    return;
  }
  if (code != 0) {
    const std::string what = "the extension to " + std::to_string(*wanted) + " s is recorded on " +
                             job_object_name(id) + " but could not be written into pod " + pod +
                             " (exit " + std::to_string(code) + ": " + problem + ")";
    if (from_extend) throw ConnectionFailed("extend: " + what);
    log(LogLevel::kInfo, "kubernetes", what, {{"job", id}});
    std::lock_guard lock(mutex_);
    jobs_.at(id).dirty = true;  // the next round tries again
    return;
  }
  {
    std::lock_guard lock(mutex_);
    std::optional<std::int64_t>& stored = jobs_.at(id).allocation_in_pod;
    stored = std::max(stored.value_or(0), *wanted);
  }
  const nlohmann::json patch = {
      {"metadata", {{"annotations", {{kAllocationInPodAnnotation, std::to_string(*wanted)}}}}}};
  ApiResponse response =
      api_->request("PATCH", job_path(id), patch.dump(), "application/merge-patch+json");
  if (response.status != 200) {
    // The pod has it; another scheduler object only writes it once more.
    log(LogLevel::kInfo, "kubernetes", "could not record the delivered allocation",
        {{"job", job_object_name(id)}, {"error", response.describe()}});
  }
}

}  // namespace cuttle::detail
