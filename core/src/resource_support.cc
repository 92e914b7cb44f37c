// Resource and placement fields against an adaptor's Capabilities: one table, one message.
#include "internal/resource_support.h"

#include "cuttle/error.h"

namespace cuttle::detail {
namespace {

struct ResourceField {
  const char* name;
  bool Capabilities::*supported;
  bool (*is_set)(const JobDescription&);
  const char* hint;  // what to do instead
  const char* page = "docs/resources.md";
};

constexpr const char* kLaunchHint =
    "the job's shell on the host runs it on local, ssh, slurm and torque";

const ResourceField kResourceFields[] = {
    {"gpus", &Capabilities::gpus, [](const JobDescription& d) { return d.gpus.has_value(); },
     "GPUs are allocated by slurm, torque and kubernetes"},
    {"gpu_type", &Capabilities::gpu_type,
     [](const JobDescription& d) { return !d.gpu_type.empty(); },
     "a GPU type is requested on slurm; on torque, name the GPU nodes' property in "
     "constraints"},
    {"account", &Capabilities::account, [](const JobDescription& d) { return !d.account.empty(); },
     "accounts are charged by slurm and torque"},
    {"qos", &Capabilities::qos, [](const JobDescription& d) { return !d.qos.empty(); },
     "a QoS is a slurm concept"},
    {"reservation", &Capabilities::reservation,
     [](const JobDescription& d) { return !d.reservation.empty(); },
     "reservations are a slurm concept"},
    {"constraints", &Capabilities::constraints,
     [](const JobDescription& d) { return !d.constraints.empty(); },
     "node features are matched by slurm and torque"},
    {"exclusive_nodes", &Capabilities::exclusive_nodes,
     [](const JobDescription& d) { return d.exclusive_nodes; },
     "whole nodes are allocated by slurm and torque"},
    {"scheduler_arguments", &Capabilities::scheduler_arguments,
     [](const JobDescription& d) { return !d.scheduler_arguments.empty(); },
     "they are options of a batch system's submit command (slurm, torque)"},
    {"dependencies", &Capabilities::dependencies,
     [](const JobDescription& d) { return !d.dependencies.empty(); },
     "dependencies are honoured by slurm, torque, ssh and local", "docs/dependencies.md"},
    {"launcher", &Capabilities::launch, [](const JobDescription& d) { return d.has_launcher(); },
     kLaunchHint, "docs/launchers.md"},
    {"pre_launch", &Capabilities::launch,
     [](const JobDescription& d) { return !d.pre_launch.empty(); }, kLaunchHint,
     "docs/launchers.md"},
    {"post_launch", &Capabilities::launch,
     [](const JobDescription& d) { return !d.post_launch.empty(); }, kLaunchHint,
     "docs/launchers.md"},
    {"modules", &Capabilities::launch, [](const JobDescription& d) { return !d.modules.empty(); },
     kLaunchHint, "docs/launchers.md"},
    {"inherit_environment", &Capabilities::clean_environment,
     [](const JobDescription& d) { return !d.inherit_environment; },
     "an empty environment is made by the job's shell on local, ssh, slurm and torque",
     "docs/launchers.md"},
};

}  // namespace

std::optional<UnsupportedField> unsupported_resource(const JobDescription& description,
                                                     const Capabilities& capabilities,
                                                     const std::string& adaptor_name) {
  for (const ResourceField& field : kResourceFields) {
    if (!field.is_set(description) || capabilities.*field.supported) continue;
    return UnsupportedField{field.name, "the " + adaptor_name +
                                            " adaptor cannot honour it, and a job is never run "
                                            "without a field it asked for (" +
                                            field.hint + "; " + field.page + ")"};
  }
  return std::nullopt;
}

void require_resource_support(const JobDescription& description, const Capabilities& capabilities,
                              const std::string& adaptor_name) {
  if (auto refused = unsupported_resource(description, capabilities, adaptor_name)) {
    throw Unsupported(refused->field + ": " + refused->reason);
  }
}

}  // namespace cuttle::detail
