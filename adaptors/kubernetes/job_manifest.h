// The batch/v1 Job a JobDescription becomes, and the names and labels the adaptor owns.
// Retries stay in core (backoffLimit 0), the pod never restarts, max_runtime is the Job's
// activeDeadlineSeconds, and no TTL is set at create (it is patched in after the outcome
// and logs were captured).
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
  // terminationGracePeriodSeconds: TERM to KILL when the pod is deleted (cancel).
  std::int64_t termination_grace_seconds = 5;
};

// Jobs with staging or stdin run under a small sh wrapper that holds the command until
// the inputs are in /work (marker /work/.cuttle/go), records its exit code
// (/work/.cuttle/exit) and holds the pod until the outputs were copied out
// (/work/.cuttle/done). stdin/stdout/stderr paths are then files in the pod.
bool uses_wrapper(const JobDescription& description);
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
