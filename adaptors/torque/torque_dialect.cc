// Torque: the few pieces that differ from other batch schedulers.
#include "adaptors/torque/torque_dialect.h"

#include "adaptors/batch/dependency_text.h"
#include "adaptors/batch/job_script.h"
#include "adaptors/batch/text.h"
#include "adaptors/torque/torque_parsers.h"
#include "cuttle/error.h"

namespace cuttle::detail::torque {
namespace {

constexpr std::string_view kPrefix = "#PBS";

std::string two_digits(long value) { return (value < 10 ? "0" : "") + std::to_string(value); }

std::string walltime(std::chrono::seconds duration) {
  const long s = duration.count();
  return std::to_string(s / 3600) + ":" + two_digits(s / 60 % 60) + ":" + two_digits(s % 60);
}

bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

std::string dir_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

// Pass-through arguments are written verbatim after #PBS, so they are held to the
// characters Torque's directive parser reads literally.
void check_plain(const std::vector<std::string>& arguments) {
  check_scheduler_arguments(arguments);
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    for (char c : arguments[i]) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("_=:.,+/@%- ").find(c) != std::string_view::npos;
      if (!ok) {
        throw InvalidJobDescription("scheduler_arguments[" + std::to_string(i) + "]",
                                    std::string("Torque directives cannot carry '") + c + "'");
      }
    }
  }
}

// GPUs per node and node features (properties) are parts of the nodes= request: the
// same node spec carries them, e.g. nodes=2:ppn=4:gpus=1:bigmem.
std::string nodes_request(const JobDescription& d) {
  const int nodes = d.nodes.value_or(1);
  const int tasks = d.tasks.value_or(nodes);
  const int per_node = (tasks + nodes - 1) / nodes * d.cores_per_task.value_or(1);
  std::string spec = "nodes=" + std::to_string(nodes) + ":ppn=" + std::to_string(per_node);
  if (d.gpus) spec += ":gpus=" + std::to_string(*d.gpus);
  for (const std::string& feature : d.constraints) spec += ":" + feature;
  return directive_word(spec, d.constraints.empty() ? "gpus" : "constraints");
}

// Torque's -t takes ranges and lists but no step: a stepped spec is written as its list.
std::string array_request(const ArraySpec& spec) {
  std::string request;
  if (spec.step == 1) {
    request = std::to_string(spec.first) + "-" + std::to_string(spec.last);
  } else {
    for (int index : spec.indices())
      request += (request.empty() ? "" : ",") + std::to_string(index);
  }
  if (spec.throttle) request += "%" + std::to_string(*spec.throttle);
  return request;
}

}  // namespace

// No GPU type (Torque's gpus= is a count; a type is a node property: constraints), no QoS
// and no reservation (those are Moab's -l qos= / -l advres=, not Torque's).
Capabilities TorqueDialect::capabilities() const {
  Capabilities c = batch_capabilities();
  c.gpus = c.account = c.constraints = c.exclusive_nodes = true;
  c.dependencies = true;
  c.launch = true;  // the wrapper's shell (docs/launchers.md)
  c.clean_environment = true;
  return c;
}

std::string TorqueDialect::render_directives(const JobDescription& d,
                                             const DirectiveContext& context) const {
  std::string out;
  out += std::string(kPrefix) + " -N " + directive_word(context.job_name, "name") + "\n";
  if (!d.queue.empty())
    out += std::string(kPrefix) + " -q " + directive_word(d.queue, "queue") + "\n";
  if (d.nodes || d.tasks || d.cores_per_task || d.gpus || !d.constraints.empty()) {
    out += std::string(kPrefix) + " -l " + nodes_request(d) + "\n";
  }
  if (!d.account.empty())
    out += std::string(kPrefix) + " -A " + directive_word(d.account, "account") + "\n";
  // Moab's (and Slurm's #PBS reader's) form; Torque's own qsub -n is unknown to sbatch.
  if (d.exclusive_nodes) out += std::string(kPrefix) + " -l naccesspolicy=singlejob\n";
  if (!d.dependencies.empty()) {
    // Torque's own form (afterok:ID:ID,afternotok:ID), which Slurm's #PBS reader takes too.
    out += std::string(kPrefix) +
           " -W depend=" + directive_word(native_dependency_list(d.dependencies), "dependencies") +
           "\n";
  }
  if (d.array) out += std::string(kPrefix) + " -t " + array_request(*d.array) + "\n";
  if (d.max_runtime)
    out += std::string(kPrefix) + " -l walltime=" + walltime(*d.max_runtime) + "\n";
  if (d.memory_bytes) {
    // Torque's mem is for the whole job; ours is per node.
    out += std::string(kPrefix) + " -l mem=" +
           torque_memory(*d.memory_bytes * static_cast<std::uint64_t>(d.nodes.value_or(1))) + "\n";
  }
  check_plain(d.scheduler_arguments);
  for (const std::string& argument : d.scheduler_arguments) {
    out += std::string(kPrefix) + " " + argument + "\n";
  }
  return out;
}

std::vector<std::string> TorqueDialect::submit_argv(const std::string& script_path) const {
  const std::string dir = dir_of(script_path);
  return {"qsub", "-o", dir + "/batch.out", "-e", dir + "/batch.err", script_path};
}

std::string TorqueDialect::parse_submit(const CommandResult& result) const {
  return parse_qsub(result.stdout_text);
}

std::string TorqueDialect::canonical_id(const std::string& id) const {
  return id.substr(0, id.find('.'));
}

std::vector<std::string> TorqueDialect::status_argv(const std::vector<std::string>& ids) const {
  std::vector<std::string> argv = {"qstat", xml_ ? "-x" : "-f"};
  argv.insert(argv.end(), ids.begin(), ids.end());
  return argv;
}

std::vector<NativeJob> TorqueDialect::parse_status(const std::string& output) const {
  return xml_ ? parse_qstat_xml(output) : parse_qstat_full(output);
}

bool TorqueDialect::fall_back_status(const CommandResult& result) {
  const std::string all = result.stderr_text + result.stdout_text;
  if (xml_ && (contains(all, "Unknown option: x") || contains(all, "invalid option") ||
               contains(all, "illegal option"))) {
    xml_ = false;
    return true;
  }
  return false;
}

std::vector<std::string> TorqueDialect::cancel_argv(const std::string& id) const {
  return {"qdel", id};
}

std::vector<std::string> TorqueDialect::queues_argv() const { return {"qstat", "-Q"}; }

std::vector<QueueInfo> TorqueDialect::parse_queues(const std::string& output) const {
  return parse_qstat_queues(output);
}

std::vector<std::string> TorqueDialect::list_argv(const std::string&) const {
  return {"qstat", xml_ ? "-x" : "-f"};
}

std::vector<NativeJob> TorqueDialect::parse_list(const std::string& output) const {
  return parse_status(output);
}

CommandOutcome TorqueDialect::classify(const std::vector<std::string>& argv,
                                       const CommandResult& result) const {
  const std::string all = result.stderr_text + result.stdout_text;
  if (contains(all, "Cannot connect to") || contains(all, "cannot connect to server") ||
      contains(all, "Communication failure") ||
      contains(all, "Unable to contact slurm controller") ||
      contains(all, "Problem loading jobs") || contains(all, "Problem loading partitions")) {
    return CommandOutcome::kSchedulerDown;
  }
  if (result.exit_code == 0) return CommandOutcome::kOk;
  if (result.exit_code == 127) return CommandOutcome::kFailed;
  const std::string command = argv.front().substr(argv.front().rfind('/') + 1);
  if (contains(all, "Unknown Job Id") || contains(all, "Request invalid for state of job") ||
      contains(all, "Job has finished")) {
    return CommandOutcome::kUnknownJob;
  }
  // Slurm's wrappers exit non-zero without a word for ids that are done or unknown
  // (qstat: 153, qdel: the number of such ids).
  if ((command == "qstat" || command == "qdel") && trim(all).empty()) {
    return CommandOutcome::kUnknownJob;
  }
  return CommandOutcome::kFailed;
}

}  // namespace cuttle::detail::torque
