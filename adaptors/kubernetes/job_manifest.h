// The batch/v1 Job a JobDescription becomes, and the names and labels the adaptor owns.
// Retries stay in core (backoffLimit 0), the pod never restarts, max_runtime is enforced
// by the pod's wrapper from the command's start (pod_wrapper.h) with the Job's
// activeDeadlineSeconds as a backstop only, and no TTL is set at create (it is patched in
// after the outcome and logs were captured).
// Thread-safety: pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cuttle/job_description.h"

namespace cuttle::detail {

inline constexpr const char* kJobKeyLabel = "cuttle.dev/job-key";
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kNameAnnotation = "cuttle.dev/name";
// The JobDescription of a staged job, so another process that re-attaches can stage it
// in and out (its sources and destinations are paths on the submitting machine).
inline constexpr const char* kDescriptionAnnotation = "cuttle.dev/description";
// Set (possibly empty: no problem) once the outputs were copied back, before the pod is
// released: every scheduler object applies the same stage-out outcome.
inline constexpr const char* kStagedOutAnnotation = "cuttle.dev/staged-out";
// A job with a max_runtime: its time allocation in seconds, max_runtime plus every
// extension (extend changes it), and the allocation the pod's wrapper was last told of
// (in its command line at create, then over pods/exec): while they differ, an extension
// still has to reach the running pod.
inline constexpr const char* kAllocationAnnotation = "cuttle.dev/allocation";
inline constexpr const char* kAllocationInPodAnnotation = "cuttle.dev/allocation-in-pod";
inline constexpr const char* kMainContainer = "job";
// The label selector every list and watch of the adaptor uses.
inline constexpr const char* kOwnedSelector = "app.kubernetes.io/managed-by=cuttle";

// "cuttle-<job key>": a DNS-1123 label, the same for the same key (a resubmit after a
// crash meets the first one as 409 AlreadyExists).
std::string job_object_name(const std::string& job_key);
// The key back from a Job's name, or "" when it is not ours.
std::string job_key_from_name(const std::string& name);

struct ManifestOptions {
  std::string default_image;  // used when the description has none
  // terminationGracePeriodSeconds: TERM to KILL when the pod is deleted (cancel); also
  // the wrapper's TERM to KILL at the deadline.
  std::int64_t termination_grace_seconds = 5;
  // The backstop activeDeadlineSeconds is max_runtime + termination_grace_seconds + this:
  // room for the pod's start (scheduling, image pull), the stage-in and the stage-out,
  // which the Job's deadline counts and the wrapper's does not.
  std::int64_t deadline_slack_seconds = 600;
};

// The backstop activeDeadlineSeconds of a time allocation of `allocation` seconds.
std::int64_t backstop_seconds(std::int64_t allocation, const ManifestOptions& options);

// Jobs with staging or stdin hold their command until the inputs are in /work (marker
// /work/.cuttle/go), record its end (/work/.cuttle/exit) and hold the pod until the
// outputs were copied out (/work/.cuttle/done). stdin/stdout/stderr paths are then files
// in the pod.
bool holds_for_staging(const JobDescription& description);
// Jobs that hold for staging or have a max_runtime run their command under the pod's
// wrapper (pod_wrapper.h).
bool uses_wrapper(const JobDescription& description);
// max_runtime in seconds as the wrappers take it: "" for none.
std::string allocation_text(const JobDescription& description);
inline constexpr const char* kMarkerDirectory = "/work/.cuttle";

// Jobs with steps run them as init containers and the main container (job_steps.h).
// Throws InvalidJobDescription naming the field for what Kubernetes cannot run: no image,
// nodes > 1, label keys/values Kubernetes refuses, a relative working directory that
// escapes /work.
nlohmann::json job_manifest(const JobDescription& description, const std::string& job_key,
                            const ManifestOptions& options);

// The API carries every string as JSON, which is UTF-8: InvalidJobDescription naming
// `field` when `text` holds other bytes.
void require_utf8(const std::string& text, const std::string& field);

// Checks a label key ([prefix/]name) and value the way the API server does; "" when valid,
// else the reason.
std::string label_problem(const std::string& key, const std::string& value);

}  // namespace cuttle::detail
