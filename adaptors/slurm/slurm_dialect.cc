// Slurm: the few pieces that differ from other batch schedulers.
#include "adaptors/slurm/slurm_dialect.h"

#include "adaptors/batch/dependency_text.h"
#include "adaptors/batch/job_script.h"
#include "adaptors/batch/text.h"
#include "adaptors/slurm/slurm_parsers.h"
#include "cuttle/error.h"

namespace cuttle::detail::slurm {
namespace {

constexpr std::string_view kPrefix = "#SBATCH";

// Slurm's form of an id: an array element "12[3]" is "12_3".
std::string slurm_id(const std::string& id) {
  if (auto element = parse_array_element_id(id)) {
    return element->first + "_" + std::to_string(element->second);
  }
  return id;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string joined;
  for (const std::string& id : ids) joined += (joined.empty() ? "" : ",") + slurm_id(id);
  return joined;
}

// Slurm expands %j, %u ... in --output/--error names; %% is a literal %.
std::string escape_percent(const std::string& path) {
  std::string out;
  for (char c : path) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

// Every constraint is required: Slurm's AND of features.
std::string all_of(const std::vector<std::string>& features) {
  std::string joined;
  for (const std::string& f : features) joined += (joined.empty() ? "" : "&") + f;
  return joined;
}

std::string command_name(const std::vector<std::string>& argv) {
  const std::string& first = argv.front();
  return first.substr(first.rfind('/') + 1);
}

// GPUs go to --gres=gpu[:type]:N, which is per node like Torque's nodes=..:gpus=N and a
// Kubernetes pod's limit, so `gpus` means the same on every adaptor; --gpus=N would be
// per job (and needs select/cons_tres).
std::string resource_directives(const JobDescription& d) {
  std::string out;
  if (d.gpus) {
    const std::string type = d.gpu_type.empty() ? "" : d.gpu_type + ":";
    out += directive_line(kPrefix, "--gres=", "gpu:" + type + std::to_string(*d.gpus), "gpus");
  }
  if (!d.account.empty()) out += directive_line(kPrefix, "--account=", d.account, "account");
  if (!d.qos.empty()) out += directive_line(kPrefix, "--qos=", d.qos, "qos");
  if (!d.reservation.empty()) {
    out += directive_line(kPrefix, "--reservation=", d.reservation, "reservation");
  }
  if (!d.constraints.empty()) {
    out += directive_line(kPrefix, "--constraint=", all_of(d.constraints), "constraints");
  }
  if (d.exclusive_nodes) out += std::string(kPrefix) + " --exclusive\n";
  return out;
}

// --dependency=afterok:1:2,afternotok:3 (',' is AND). --kill-on-invalid-dep=yes makes
// Slurm end a job whose dependency can never be met (CANCELLED, reason
// DependencyNeverSatisfied, which the state table reads as Error) instead of keeping it
// pending forever.
std::string dependency_directives(const std::vector<JobDependency>& dependencies) {
  if (dependencies.empty()) return {};
  return directive_line(kPrefix, "--dependency=", native_dependency_list(dependencies),
                        "dependencies") +
         std::string(kPrefix) + " --kill-on-invalid-dep=yes\n";
}

}  // namespace

Capabilities SlurmDialect::capabilities() const {
  Capabilities c = batch_capabilities();
  c.extend = true;  // scontrol update TimeLimit
  c.gpus = c.gpu_type = c.account = c.qos = c.reservation = c.constraints = c.exclusive_nodes =
      true;
  c.dependencies = true;
  c.launch = true;  // the wrapper's shell (docs/launchers.md)
  c.clean_environment = true;
  return c;
}

std::string SlurmDialect::render_directives(const JobDescription& d,
                                            const DirectiveContext& context) const {
  std::string out;
  out += directive_line(kPrefix, "--job-name=", context.job_name, "name");
  out += directive_line(kPrefix, "--chdir=", context.working_directory, "working_directory");
  out +=
      directive_line(kPrefix, "--output=", escape_percent(context.scheduler_stdout), "stdout_path");
  out +=
      directive_line(kPrefix, "--error=", escape_percent(context.scheduler_stderr), "stderr_path");
  if (!d.queue.empty()) out += directive_line(kPrefix, "--partition=", d.queue, "queue");
  if (d.nodes) out += directive_line(kPrefix, "--nodes=", std::to_string(*d.nodes), "nodes");
  if (d.tasks) out += directive_line(kPrefix, "--ntasks=", std::to_string(*d.tasks), "tasks");
  if (d.cores_per_task) {
    out += directive_line(kPrefix, "--cpus-per-task=", std::to_string(*d.cores_per_task),
                          "cores_per_task");
  }
  if (d.memory_bytes) {
    const std::uint64_t mib = (*d.memory_bytes + (1u << 20) - 1) >> 20;
    out +=
        directive_line(kPrefix, "--mem=", std::to_string(mib == 0 ? 1 : mib) + "M", "memory_bytes");
  }
  out += resource_directives(d);
  out += dependency_directives(d.dependencies);
  if (d.array) out += directive_line(kPrefix, "--array=", d.array->to_string(), "array");
  if (d.max_runtime) {
    out += directive_line(kPrefix, "--time=", std::to_string(ceil_minutes(*d.max_runtime)),
                          "max_runtime");
  }
  // sbatch hands the submitter's whole environment to the job unless told not to; the
  // wrapper then empties what the node added (docs/launchers.md).
  if (!d.inherit_environment) out += std::string(kPrefix) + " --export=NONE\n";
  check_scheduler_arguments(d.scheduler_arguments);
  for (std::size_t i = 0; i < d.scheduler_arguments.size(); ++i) {
    out += std::string(kPrefix) + " " +
           directive_value(d.scheduler_arguments[i],
                           "scheduler_arguments[" + std::to_string(i) + "]") +
           "\n";
  }
  return out;
}

std::vector<std::string> SlurmDialect::submit_argv(const std::string&) const {
  return {"sbatch", "--parsable"};
}

std::string SlurmDialect::parse_submit(const CommandResult& result) const {
  return parse_sbatch(result.stdout_text);
}

std::string SlurmDialect::canonical_id(const std::string& id) const { return slurm_id(id); }

// -r: every array element on a line of its own ("12_3", not "12_[3-5]").
std::vector<std::string> SlurmDialect::status_argv(const std::vector<std::string>& ids) const {
  return {"squeue",
          "--noheader",
          "--states=all",
          "-r",
          "--jobs=" + join_ids(ids),
          "--format=" + std::string(kSqueueFormat)};
}

std::vector<NativeJob> SlurmDialect::parse_status(const std::string& output) const {
  return parse_squeue(output);
}

std::optional<std::vector<std::string>> SlurmDialect::accounting_argv(
    const std::vector<std::string>& ids) const {
  return std::vector<std::string>{"sacct",
                                  "-X",
                                  "-P",
                                  "--noheader",
                                  std::string("--delimiter=") + kSeparator,
                                  "--jobs=" + join_ids(ids),
                                  "--format=" + std::string(kSacctFormat)};
}

std::vector<NativeJob> SlurmDialect::parse_accounting(const std::string& output) const {
  return parse_sacct(output);
}

std::vector<std::string> SlurmDialect::cancel_argv(const std::string& id) const {
  return {"scancel", slurm_id(id)};
}

std::vector<std::string> SlurmDialect::queues_argv() const {
  return {"sinfo", "--noheader", "--format=" + std::string(kSinfoFormat)};
}

std::vector<QueueInfo> SlurmDialect::parse_queues(const std::string& output) const {
  return parse_sinfo(output);
}

std::vector<std::string> SlurmDialect::list_argv(const std::string& queue) const {
  std::vector<std::string> argv = {"squeue", "--noheader", "--states=all", "--me",
                                   "--format=" + std::string(kSqueueFormat)};
  if (!queue.empty()) argv.push_back("--partition=" + queue);
  return argv;
}

std::vector<NativeJob> SlurmDialect::parse_list(const std::string& output) const {
  return parse_squeue(output);
}

std::optional<std::vector<std::string>> SlurmDialect::extend_argv(const NativeJob& job,
                                                                  std::chrono::seconds by) const {
  if (!job.time_limit) {
    throw InvalidArgument("extend: Slurm job " + job.id + " has no time limit to extend");
  }
  const long minutes = ceil_minutes(*job.time_limit + by);
  return std::vector<std::string>{"scontrol", "update", "JobId=" + job.id,
                                  "TimeLimit=" + std::to_string(minutes)};
}

CommandOutcome SlurmDialect::classify(const std::vector<std::string>& argv,
                                      const CommandResult& result) const {
  const std::string& err = result.stderr_text;
  if (contains(err, "accounting storage is disabled")) return CommandOutcome::kAccountingDisabled;
  // Away, or busy (an overloaded slurmctld: timeouts, EAGAIN): the same for the engine,
  // which retries rather than failing a job (a submit backs off: submit.busy.wait).
  if (contains(err, "Unable to contact slurm controller") || contains(err, "Socket timed out") ||
      contains(err, "Resource temporarily unavailable") ||
      contains(err, "Zero Bytes were transmitted") ||
      contains(err, "Communication connection failure") ||
      contains(err, "Slurm backup controller in standby mode") ||
      contains(err, "Unable to establish connection")) {
    return CommandOutcome::kSchedulerDown;
  }
  // Exit 127: the command is not installed where it runs (a login node without Slurm).
  if (result.exit_code == 127) return CommandOutcome::kFailed;
  const std::string command = command_name(argv);
  // squeue of ids it all forgot: "Invalid job id: 42"; others: "Invalid job id specified".
  if (contains(err, "Invalid job id specified") || contains(err, "Invalid job id:")) {
    return CommandOutcome::kUnknownJob;
  }
  if (command == "scancel" && (contains(err, "already completing or completed") ||
                               contains(err, "Job/step already completing"))) {
    return CommandOutcome::kUnknownJob;
  }
  if (command == "scontrol" &&
      (contains(err, "Access/permission denied") || contains(err, "permission denied") ||
       contains(err, "Requested time limit is invalid") ||
       contains(err, "Job violates accounting/QOS policy") ||
       contains(err, "exceeds partition time limit"))) {
    return CommandOutcome::kForbidden;
  }
  if (result.exit_code != 0) return CommandOutcome::kFailed;
  return CommandOutcome::kOk;
}

}  // namespace cuttle::detail::slurm
