// The interface every adaptor implements, and how callers open one.
// Thread-safety: every Scheduler method may be called from any thread concurrently.
// Listeners registered with subscribe() are called on the adaptor's own thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/credential.h"
#include "cuttle/file_system.h"
#include "cuttle/job_description.h"
#include "cuttle/job_status.h"
#include "cuttle/location.h"

namespace cuttle {

struct Capabilities {
  bool extend = false;             // extend() moves the deadline
  bool staging = true;             // stage_in / stage_out
  bool detached = false;           // jobs survive the process that submitted them
  bool queues = false;             // queues() lists something meaningful
  bool containers = false;         // container_image is honoured
  bool steps = false;              // JobDescription::steps are run in order
  bool multi_node = false;         // nodes > 1
  bool native_time_limit = false;  // the backend enforces max_runtime itself
  // Jobs run on this machine: their sandboxes and executables are on this process's file
  // system, so a caller may check the executable up front and remove a sandbox directly.
  bool local_sandbox = false;
  // The resource and placement fields of JobDescription the adaptor honours; a job that
  // sets one the adaptor does not is refused at submit with Unsupported naming the field.
  bool gpus = false;
  bool gpu_type = false;
  bool account = false;
  bool qos = false;
  bool reservation = false;
  bool constraints = false;
  bool exclusive_nodes = false;
  // scheduler_arguments reach the batch system's submit command; elsewhere nothing could
  // read them, so a job with any is refused rather than run without them.
  bool scheduler_arguments = false;
  // JobDescription::dependencies are honoured: natively (batch) or held until met.
  bool dependencies = false;
  // JobDescription::array is one native submission (sbatch --array, qsub -t). Every adaptor
  // takes arrays: where this is false open_scheduler() runs the elements itself, each a job
  // of the adaptor, under the throttle (docs/arrays.md).
  bool native_arrays = false;
  // launcher, pre_launch, post_launch and modules: the job's shell on the host runs them
  // (the wrapper; docs/launchers.md).
  bool launch = false;
  // inherit_environment = false: the command starts from an empty environment.
  bool clean_environment = false;
};

struct QueueInfo {
  std::string name;
  bool is_default = false;
  std::string state;  // "up", "down", ...
  std::map<std::string, std::string> info;
};

using StatusListener = std::function<void(const JobStatus&)>;

class Subscription;

// What Scheduler::status_answers() says about one id: its status, or why there is none.
struct StatusAnswer {
  std::string id;
  std::optional<JobStatus> status;  // empty: the adaptor cannot find the job
  std::string missing;              // then: why, as NoSuchJob says it ("no such job: 42")
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  virtual std::string adaptor_name() const = 0;
  virtual const Location& location() const = 0;
  virtual Capabilities capabilities() const = 0;

  // Validates the description (InvalidJobDescription naming the field) and starts the
  // job. Returns its id. Never leaves a half-submitted job behind on failure.
  virtual std::string submit(const JobDescription& description) = 0;

  // Many jobs, one round trip to the backend. Unknown ids throw NoSuchJob.
  // REQUIRES: ids are distinct. The result is in the order of `ids`.
  virtual std::vector<JobStatus> statuses(const std::vector<std::string>& ids) = 0;
  JobStatus status(const std::string& id);
  // Like statuses(), but a job the adaptor cannot find is an answer, not an exception:
  // one unknown or malformed id does not hide the others. Errors that concern every id
  // (the backend did not answer) still throw. The result is in the order of `ids`.
  // REQUIRES: ids are distinct. The default asks statuses() again without each id it
  // names missing; adaptors with one round trip for many ids answer in that one.
  virtual std::vector<StatusAnswer> status_answers(const std::vector<std::string>& ids);

  // Idempotent: cancelling a finished or already cancelled job does nothing and
  // returns its status.
  virtual JobStatus cancel(const std::string& id) = 0;

  // Block until the job runs (or is done) / is done, or `timeout` passes. On timeout
  // they return the latest status (check .running() / .done()); they never throw Timeout.
  virtual JobStatus wait_until_running(const std::string& id, std::chrono::milliseconds timeout);
  virtual JobStatus wait_until_done(const std::string& id, std::chrono::milliseconds timeout);

  // Adds `by` to the job's time allocation. Unsupported where the backend forbids it.
  virtual JobStatus extend(const std::string& id, std::chrono::seconds by);

  virtual std::vector<QueueInfo> queues();
  // Ids of the jobs this scheduler knows about (in `queue` when not empty).
  virtual std::vector<std::string> jobs(const std::string& queue = {}) = 0;

  // Ids of jobs whose name is exactly `name`. Used to recover a submit whose result
  // was lost in a crash. Default: Unsupported.
  virtual std::vector<std::string> find_by_name(const std::string& name);

  // Every state change of every job this scheduler watches is delivered to `listener`
  // on the adaptor's thread. Drop the Subscription to stop.
  [[nodiscard]] virtual std::shared_ptr<Subscription> subscribe(StatusListener listener) = 0;

  // The file system of the machine the jobs run on, where their sandboxes and
  // stdout/stderr files live (status().scheduler_info["sandbox"]); lets a caller read a
  // job's output on any adaptor. Default: Unsupported.
  virtual std::shared_ptr<FileSystem> job_files();

  // Start watching a job submitted by another process (re-attach): afterwards status()
  // of the id succeeds and listeners see its changes. Throws NoSuchJob for an id the
  // adaptor cannot find. Every adaptor implements it (no default).
  virtual void track(const std::string& id) = 0;

  // Drops what this process holds in memory about a finished job, so that a caller that
  // runs for months (the REST service) holds only active jobs. Afterwards status(id)
  // answers from the backend's durable record, as after a restart (NoSuchJob where the
  // adaptor keeps none, e.g. attached local jobs). A job not finished yet is kept.
  // Default: nothing is held.
  virtual void forget(const std::string& id);

 protected:
  Scheduler() = default;
};

// Keeps a listener registered while alive.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

// How to open a scheduler: location + properties + credential.
struct SchedulerOptions {
  std::map<std::string, std::string> properties;
  Credential credential;
};

// Opens a scheduler through the global registry (register_builtin_adaptors() must have
// run; open_scheduler calls it if nothing is registered yet). The result is wrapped
// so that retry limits and max runtime behave the same on every adaptor.
std::shared_ptr<Scheduler> open_scheduler(const std::string& location,
                                          const SchedulerOptions& options = {});

}  // namespace cuttle
