// kubernetes:// submit, observe (informer events -> statuses), cancel, extend, track.
// (~440 lines: track() re-attaches from three sources — the Job, its pods, the local final
// record — and its ordering matters; split apart it would hide that. The poll-loop work
// and staging are in kubernetes_finish.cc and kubernetes_staging.cc.)
#include "adaptors/kubernetes/kubernetes_scheduler.h"

#include <Poco/URI.h>

#include "adaptors/kubernetes/final_record.h"
#include "adaptors/kubernetes/job_manifest.h"
#include "cuttle/error.h"
#include "cuttle/job_description_json.h"
#include "cuttle/sandbox.h"
#include "internal/job_key.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

constexpr std::chrono::milliseconds kLoopMin{100};
constexpr std::chrono::milliseconds kLoopMax{2000};
constexpr std::chrono::seconds kSyncWait{10};
constexpr std::chrono::seconds kPodLagGrace{3};

std::string label_of(const nlohmann::json& object, const char* label) {
  const nlohmann::json& labels = object["metadata"].value("labels", nlohmann::json::object());
  auto it = labels.find(label);
  return it != labels.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool quota_refusal(const ApiResponse& response) {
  return response.status == 403 && response.body.find("exceeded quota") != std::string::npos;
}

std::string created_at(const nlohmann::json& object) {
  return object["metadata"].value("creationTimestamp", "");
}

}  // namespace

std::shared_ptr<KubernetesScheduler> KubernetesScheduler::create(Location location,
                                                                 ClusterAccess access,
                                                                 KubernetesOptions options) {
  auto api = std::make_shared<ApiClient>(std::move(access), options.limits);
  ApiResponse version = api->request("GET", "/version");
  if (version.status != 200) {
    throw ConnectionFailed(api->access().describe() + ": GET /version answered " +
                           version.describe());
  }
  auto scheduler =
      std::make_shared<KubernetesScheduler>(std::move(location), api, std::move(options));
  KubernetesScheduler* self = scheduler.get();
  scheduler->job_informer_ = std::make_unique<Informer>(
      api, scheduler->collection("/apis/batch/v1", "jobs"), kOwnedSelector,
      [self](const std::string& type, const nlohmann::json& o) { self->on_job_event(type, o); });
  scheduler->pod_informer_ = std::make_unique<Informer>(
      api, scheduler->collection("/api/v1", "pods"), kOwnedSelector,
      [self](const std::string& type, const nlohmann::json& o) { self->on_pod_event(type, o); });
  scheduler->job_informer_->start();
  scheduler->pod_informer_->start();
  scheduler->poll_.start(scheduler->weak_from_this(), &KubernetesScheduler::poll_round);
  return scheduler;
}

KubernetesScheduler::KubernetesScheduler(Location location, std::shared_ptr<ApiClient> api,
                                         KubernetesOptions options)
    : location_(std::move(location)),
      api_(std::move(api)),
      options_(std::move(options)),
      namespace_(api_->access().namespace_name),
      poll_(kLoopMin, kLoopMax) {}

KubernetesScheduler::~KubernetesScheduler() { api_->cancel_streams(); }

Capabilities KubernetesScheduler::capabilities() const {
  Capabilities c;
  c.staging = true;
  c.detached = true;
  c.containers = true;
  c.native_time_limit = true;  // the pod's wrapper (pod_wrapper.h); activeDeadlineSeconds backs it
  c.extend = true;
  // nvidia.com/gpu in the pod's limits. No gpu_type: nodes carry a GPU's model under
  // labels each cluster names its own way (GPU feature discovery, cloud providers).
  c.gpus = true;
  // One pod: init containers, then the main one, sharing /work (job_steps.h).
  c.steps = true;
  return c;
}

std::string KubernetesScheduler::collection(const char* group_path, const char* resource) const {
  return std::string(group_path) + "/namespaces/" + namespace_ + "/" + resource;
}

std::string KubernetesScheduler::job_path(const std::string& id) const {
  return collection("/apis/batch/v1", "jobs") + "/" + job_object_name(id);
}

bool KubernetesScheduler::create_job(const std::string& id, const JobDescription& description) {
  const nlohmann::json manifest = job_manifest(description, id, options_.manifest);
  ApiResponse response =
      api_->request("POST", collection("/apis/batch/v1", "jobs"), manifest.dump());
  if (response.status == 201 || response.status == 200) return true;
  if (response.status == 409) {
    // A crashed earlier submit of the same key created it: adopt it if it is ours.
    ApiResponse existing = api_->request("GET", job_path(id));
    if (existing.status == 200 &&
        label_of(nlohmann::json::parse(existing.body), kJobKeyLabel) == id) {
      return true;
    }
    throw InvalidArgument("job " + job_object_name(id) + " already exists in namespace " +
                          namespace_ + " and is not this job's (" + existing.describe() + ")");
  }
  if (quota_refusal(response)) {
    std::lock_guard lock(mutex_);
    jobs_[id].create_refusal = response.describe();
    return false;
  }
  if (response.status == 400 || response.status == 422) {
    throw InvalidJobDescription("job", "the API server refused the Job: " + response.describe());
  }
  if (response.status == 401 || response.status == 403) {
    throw AuthenticationFailed(api_->access().describe() +
                               ": create Job refused: " + response.describe());
  }
  throw ConnectionFailed(api_->access().describe() + ": create Job: " + response.describe());
}

std::string KubernetesScheduler::submit(const JobDescription& description) {
  description.validate();
  const std::string id = new_job_key();
  job_manifest(description, id, options_.manifest);  // refuse bad input before anything
  {
    std::lock_guard lock(mutex_);
    Job& job = jobs_[id];
    job.description = description;
    job.submitted = Clock::now();
    job.wrapped = holds_for_staging(description);
  }
  bool created = false;
  try {
    created = create_job(id, description);
  } catch (...) {
    std::lock_guard lock(mutex_);
    jobs_.erase(id);
    throw;
  }
  JobStatus status;
  status.id = id;
  status.state = JobState::kQueued;
  {
    std::lock_guard lock(mutex_);
    Job& job = jobs_.at(id);
    job.created = created;
    job.next_create = Clock::now() + options_.quota_retry;
    status.submitted = job.submitted;
    status.native_state = created ? "Created" : "QuotaExceeded";
    status.reason = created ? "Job created" : "waiting for quota: " + job.create_refusal;
  }
  status.scheduler_info = {{"name", job_object_name(id)}, {"namespace", namespace_}};
  publish(status);
  update(id);  // the informer may have seen it already
  poll_.wake_soon();
  return id;
}

void KubernetesScheduler::on_job_event(const std::string& type, const nlohmann::json& object) {
  const std::string id = label_of(object, kJobKeyLabel);
  {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    if (type == "DELETED") it->second.deleted = true;
    it->second.dirty = true;
  }
  poll_.wake_soon();
}

void KubernetesScheduler::on_pod_event(const std::string& type, const nlohmann::json& object) {
  const std::string id = label_of(object, kJobKeyLabel);
  {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    nlohmann::json& pod = it->second.pod;
    const bool same =
        !pod.is_null() && pod["metadata"].value("name", "") == object["metadata"].value("name", "");
    if (pod.is_null() || same || created_at(object) >= created_at(pod)) {
      // A deleted pod keeps its last status: what it said before it went is the truth.
      if (type != "DELETED" || pod.is_null() || !same) pod = object;
    }
    it->second.dirty = true;
  }
  poll_.wake_soon();
}

void KubernetesScheduler::update(const std::string& id) {
  std::optional<nlohmann::json> object = job_informer_->get(job_object_name(id));
  if (!object) return;
  Job job;
  {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.finished || it->second.cancelled) return;
    it->second.missing.found();
    it->second.created = true;
    job = it->second;
  }
  Outcome outcome = job_outcome(*object, job.pod);
  if (!is_final(outcome.state)) deliver_allocation(id, job, *object, false);
  if (is_final(outcome.state) && !outcome.exit_code && outcome.state != JobState::kExpired) {
    // Before an exit code is declared unknown: the pod's informer may lag the Job's, so
    // its last status gets a moment to arrive; if the informer is still behind after that
    // (a loaded API server delivers watch events late), the API server itself is asked.
    {
      std::lock_guard lock(mutex_);
      Job& stored = jobs_.at(id);
      if (!stored.final_seen) stored.final_seen = Clock::now();
      if (Clock::now() - *stored.final_seen < kPodLagGrace) {
        stored.dirty = true;
        return;
      }
    }
    std::optional<nlohmann::json> pod = fetch_newest_pod(id);
    if (!pod) {  // unreachable now: ask again next round rather than guess
      std::lock_guard lock(mutex_);
      jobs_.at(id).dirty = true;
      return;
    }
    if (pod->is_object()) {
      Outcome fetched = job_outcome(*object, *pod);
      if (fetched.exit_code || fetched.state == JobState::kExpired) {
        outcome = fetched;
        std::lock_guard lock(mutex_);
        jobs_.at(id).pod = *pod;
      }
    }
  }
  if (is_final(outcome.state)) {
    std::lock_guard lock(mutex_);
    jobs_.at(id).final_outcome = outcome;
  } else {
    std::lock_guard lock(mutex_);
    Job& stored = jobs_.at(id);
    if (outcome.blocked_by != stored.blocked_by) stored.blocked_since = Clock::now();
    stored.blocked_by = outcome.blocked_by;
  }
  if (is_final(outcome.state)) {
    poll_.wake_soon();
    return;
  }
  if (job.wrapped && outcome.state == JobState::kRunning) {
    if (job.command_done) return;  // the outputs are being copied (StagingOut)
    if (!job.staged_in) {
      outcome.state = JobState::kStagingIn;
      outcome.reason = "copying input into the pod";
      poll_.wake_soon();
    }
  }
  publish(status_from(id, job, outcome));
}

JobStatus KubernetesScheduler::status_from(const std::string& id, const Job& job,
                                           const Outcome& outcome) const {
  JobStatus status;
  status.id = id;
  status.state = outcome.state;
  status.native_state = outcome.native_state;
  status.reason = outcome.reason;
  status.exit_code = outcome.exit_code;
  status.step_exit_codes = outcome.step_exit_codes;
  if (!outcome.error.empty()) status.error = outcome.error;
  status.submitted = job.submitted;
  status.started = outcome.started;
  status.finished = outcome.finished;
  status.scheduler_info = {{"name", job_object_name(id)}, {"namespace", namespace_}};
  if (!outcome.pod_name.empty()) status.scheduler_info["pod"] = outcome.pod_name;
  if (!outcome.blocked_by.empty()) status.scheduler_info["reason"] = outcome.blocked_by;
  return status;
}

std::vector<JobStatus> KubernetesScheduler::statuses(const std::vector<std::string>& ids) {
  std::vector<JobStatus> result;
  for (const std::string& id : ids) {
    track(id);
    auto known = cached(id);
    if (!known) throw NoSuchJob(id);
    result.push_back(*known);
  }
  return result;
}

JobStatus KubernetesScheduler::cancel(const std::string& id) {
  track(id);
  if (auto known = cached(id); known && known->done()) return *known;
  std::optional<Outcome> ended;
  {
    std::lock_guard lock(mutex_);
    Job& job = jobs_.at(id);
    if (job.finished) return *cached(id);
    ended = job.final_outcome;
    if (!ended) {
      job.cancelled = true;
      job.cancelled_at = Clock::now();
    }
  }
  if (ended) {
    finish(id, *ended, true);  // it ended before the cancel arrived: that outcome stands
    return *cached(id);
  }
  nlohmann::json pod;
  {
    std::lock_guard lock(mutex_);
    pod = jobs_.at(id).pod;
  }
  Outcome outcome = job_outcome(job_informer_->get(job_object_name(id)).value_or(nullptr), pod);
  delete_job_and_reap(id);
  outcome.state = JobState::kCancelled;
  outcome.native_state = "Deleted";
  outcome.reason = "cancelled";
  outcome.error.clear();
  outcome.exit_code.reset();
  outcome.finished = Clock::now();  // the kubelet KILLs it at the latest cancel.grace later
  finish(id, outcome, false);
  return *cached(id);
}

std::vector<std::string> KubernetesScheduler::jobs(const std::string& queue) {
  if (!queue.empty()) return {};
  std::lock_guard lock(mutex_);
  return ids_of(jobs_);
}

std::vector<std::string> KubernetesScheduler::find_by_name(const std::string& name) {
  std::vector<std::string> ids;
  std::string token;
  do {
    std::string path = collection("/apis/batch/v1", "jobs") +
                       "?labelSelector=" + std::string(kOwnedSelector) + "&limit=500";
    if (!token.empty()) {
      std::string encoded;
      Poco::URI::encode(token, "&=+?/#", encoded);
      path += "&continue=" + encoded;
    }
    ApiResponse response = api_->request("GET", path);
    if (response.status != 200) throw ConnectionFailed("find_by_name: " + response.describe());
    nlohmann::json page = nlohmann::json::parse(response.body);
    for (const nlohmann::json& item : page.value("items", nlohmann::json::array())) {
      const nlohmann::json annotations =
          item["metadata"].value("annotations", nlohmann::json::object());
      if (annotations.value(kNameAnnotation, "") == name) {
        std::string id = label_of(item, kJobKeyLabel);
        if (is_job_key(id)) ids.push_back(id);
      }
    }
    token = page["metadata"].value("continue", "");
  } while (!token.empty());
  return ids;
}

std::optional<nlohmann::json> KubernetesScheduler::fetch_newest_pod(const std::string& id) {
  ApiResponse pods;
  try {
    pods = api_->request("GET", collection("/api/v1", "pods") +
                                    "?labelSelector=" + std::string(kJobKeyLabel) + "%3D" + id);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (pods.status != 200) return std::nullopt;
  const nlohmann::json list = nlohmann::json::parse(pods.body, nullptr, false);
  if (!list.is_object()) return std::nullopt;
  nlohmann::json newest;
  for (const nlohmann::json& pod : list.value("items", nlohmann::json::array())) {
    if (newest.is_null() || created_at(pod) >= created_at(newest)) newest = pod;
  }
  return newest;
}

void KubernetesScheduler::track(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.count(id)) return;
  }
  if (!is_job_key(id)) throw NoSuchJob(id);
  ApiResponse response = api_->request("GET", job_path(id));
  if (response.status == 404) {
    // Cancelled (deleted) or removed by its TTL after it ended: the record kept here.
    std::optional<JobStatus> record = read_final_record(log_directory(id));
    if (!record || record->id != id) throw NoSuchJob(id);
    {
      std::lock_guard lock(mutex_);
      if (jobs_.count(id)) return;
      Job& job = jobs_[id];
      job.created = true;
      job.finished = true;
      job.submitted = record->submitted.value_or(Clock::now());
    }
    publish(*record);
    return;
  }
  if (response.status != 200) {
    throw ConnectionFailed("track " + id + ": GET " + job_object_name(id) + ": " +
                           response.describe());
  }
  nlohmann::json object = nlohmann::json::parse(response.body);
  if (label_of(object, kJobKeyLabel) != id) throw NoSuchJob(id);
  job_informer_->wait_synced(kSyncWait);
  pod_informer_->wait_synced(kSyncWait);
  // Its newest pod before it is registered: the poll loop must not finish it without.
  nlohmann::json newest = fetch_newest_pod(id).value_or(nullptr);
  {
    std::lock_guard lock(mutex_);
    if (jobs_.count(id)) return;
    Job& job = jobs_[id];
    job.created = true;
    job.pod = newest;
    // The informer drops a pod's events until its job is registered: what it delivered
    // between the read above and now is in its cache, and what comes later reaches
    // on_pod_event. Either way nothing the pod said is missed.
    if (newest.is_object()) {
      if (auto cached_pod = pod_informer_->get(newest["metadata"].value("name", ""))) {
        job.pod = std::move(*cached_pod);
      }
    }
    job.submitted =
        parse_api_time(object["metadata"].value("creationTimestamp", "")).value_or(Clock::now());
    const nlohmann::json annotations =
        object["metadata"].value("annotations", nlohmann::json::object());
    if (auto it = annotations.find(kDescriptionAnnotation);
        it != annotations.end() && it->is_string()) {
      try {
        job.description = job_description_from_json(it->get<std::string>());
        job.wrapped = holds_for_staging(*job.description);
      } catch (const Error& e) {
        log(LogLevel::kWarn, "kubernetes", "unreadable description annotation",
            {{"job", job_object_name(id)}, {"error", e.what()}});
      }
    }
  }
  Job job;
  {
    std::lock_guard lock(mutex_);
    job = jobs_.at(id);
  }
  Outcome outcome = job_outcome(object, job.pod);
  if (is_final(outcome.state)) {
    // Re-attached after the end: settle it now, so the caller's first status is the truth.
    finish(id, outcome, true);
    return;
  }
  publish(status_from(id, job, outcome));
  update(id);
  poll_.wake_soon();
}

}  // namespace cuttle::detail
