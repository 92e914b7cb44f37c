// Python classes for Cuttle's value types: Location, Credential, StagingEntry,
// JobDescription, JobStatus, AttemptRecord, Capabilities, adaptor descriptors, and
// cuttle.adaptors(). Field names are the C++ names (snake_case).
#include <cmath>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "bindings/python/arg_types.h"
#include "bindings/python/bindings.h"
#include "bindings/python/conversions.h"
#include "cuttle/cuttle.h"

namespace cuttle::python {
namespace py = pybind11;
namespace {

// Every JobDescription field, in declaration order: the keyword arguments the
// constructor accepts and what __repr__ shows when it differs from the default.
const std::vector<const char*>& description_fields() {
  static const std::vector<const char*> fields = {"name",
                                                  "executable",
                                                  "arguments",
                                                  "environment",
                                                  "working_directory",
                                                  "stdin_path",
                                                  "stdout_path",
                                                  "stderr_path",
                                                  "queue",
                                                  "max_runtime",
                                                  "nodes",
                                                  "tasks",
                                                  "cores_per_task",
                                                  "memory_bytes",
                                                  "gpus",
                                                  "gpu_type",
                                                  "account",
                                                  "qos",
                                                  "reservation",
                                                  "constraints",
                                                  "exclusive_nodes",
                                                  "scheduler_arguments",
                                                  "container_image",
                                                  "container_runtime",
                                                  "mounts",
                                                  "network",
                                                  "container_user",
                                                  "stage_in",
                                                  "stage_out",
                                                  "retry_limit",
                                                  "labels",
                                                  "steps",
                                                  "dependencies",
                                                  "array",
                                                  "launcher",
                                                  "pre_launch",
                                                  "post_launch",
                                                  "modules",
                                                  "inherit_environment"};
  return fields;
}

// Dependencies from Python: "after_ok:ID" strings or (condition, id) pairs, where the id
// may also be a cuttle.Job (its id).
std::vector<JobDependency> to_dependencies(py::handle list) {
  if (PyUnicode_Check(list.ptr())) {
    throw py::type_error("dependencies must be a list, not a str");
  }
  std::vector<JobDependency> out;
  for (py::handle item : py::iter(list)) {
    const std::string field = "dependencies[" + std::to_string(out.size()) + "]";
    if (PyUnicode_Check(item.ptr())) {
      out.push_back(parse_dependency(item.cast<std::string>(), field));
      continue;
    }
    auto pair = item.cast<std::vector<py::object>>();
    if (pair.size() != 2) {
      throw py::type_error(field + " must be 'after_ok:ID' or a (condition, id) pair");
    }
    const std::string id = py::hasattr(pair[1], "id")
                               ? py::str(pair[1].attr("id")).cast<std::string>()
                               : pair[1].cast<std::string>();
    out.push_back(parse_dependency(pair[0].cast<std::string>() + ":" + id, field));
  }
  return out;
}

std::string join_fields() {
  std::string all;
  for (const char* f : description_fields()) all += (all.empty() ? "" : ", ") + std::string(f);
  return all;
}

// A staging list from Python: StagingEntry objects, (source, destination) pairs, or a
// bare source string (destination empty: the same name).
std::vector<StagingEntry> to_staging(py::handle list, const char* field) {
  std::vector<StagingEntry> entries;
  if (PyUnicode_Check(list.ptr()))
    throw py::type_error(std::string(field) + " must be a list, not a str");
  for (py::handle item : py::iter(list)) {
    if (py::isinstance<StagingEntry>(item)) {
      entries.push_back(item.cast<StagingEntry>());
    } else if (PyUnicode_Check(item.ptr())) {
      entries.push_back({item.cast<std::string>(), {}});
    } else {
      auto pair = item.cast<std::vector<std::string>>();
      if (pair.size() != 2)
        throw py::type_error(std::string(field) + " entries are (source, destination) pairs");
      entries.push_back({pair[0], pair[1]});
    }
  }
  return entries;
}

// A list of str, never a str (which would cast to a list of its characters).
std::vector<std::string> list_of_str(py::handle value, const std::string& what) {
  if (PyUnicode_Check(value.ptr())) throw py::type_error(what + ", not a str");
  return value.cast<std::vector<std::string>>();
}

std::string repr_of(py::handle value) { return py::repr(value).cast<std::string>(); }

std::string description_repr(py::handle self) {
  // Leaked on purpose: a static py::object would be released after the interpreter is gone.
  static py::handle defaults = py::cast(JobDescription{}).release();
  std::string text = "JobDescription(";
  bool first = true;
  for (const char* field : description_fields()) {
    py::object value = self.attr(field);
    if (value.equal(defaults.attr(field))) continue;
    text += (first ? "" : ", ") + std::string(field) + "=" + repr_of(value);
    first = false;
  }
  return text + ")";
}

std::string status_repr(const JobStatus& status) {
  std::string text =
      "JobStatus(id=" + repr_of(py::str(status.id)) + ", state=" + repr_of(py::cast(status.state));
  if (status.exit_code) text += ", exit_code=" + std::to_string(*status.exit_code);
  if (!status.reason.empty()) text += ", reason=" + repr_of(py::str(status.reason));
  if (status.error) text += ", error=" + repr_of(py::str(*status.error));
  if (status.attempt != 1) text += ", attempt=" + std::to_string(status.attempt);
  return text + ")";
}

const char* credential_kind(Credential::Kind kind) {
  switch (kind) {
    case Credential::Kind::kDefault:
      return "default";
    case Credential::Kind::kKeyFile:
      return "key_file";
    case Credential::Kind::kPassword:
      return "password";
    case Credential::Kind::kToken:
      return "token";
  }
  return "default";
}

void bind_location(py::module_& m) {
  py::class_<Location>(m, "Location",
                       "A parsed scheduler location: scheme[+transport]://[user@]host[:port]"
                       "[/path][?key=value&...]. Create one with Location.parse().")
      .def_static("parse", &Location::parse, py::arg("uri"),
                  "Parses a location; raises cuttle.InvalidArgument naming the wrong part.")
      .def_readonly("scheme", &Location::scheme)
      .def_readonly("transport", &Location::transport)
      .def_readonly("user", &Location::user)
      .def_readonly("host", &Location::host)
      .def_readonly("port", &Location::port)
      .def_readonly("path", &Location::path)
      .def_readonly("query", &Location::query)
      .def_property_readonly("full_scheme", &Location::full_scheme)
      .def("__str__", &Location::to_string)
      .def("__repr__",
           [](const Location& l) { return "Location(" + repr_of(py::str(l.to_string())) + ")"; })
      .def("__eq__", [](const Location& a, const Location& b) { return a == b; })
      .def("__hash__", [](const Location& l) { return py::hash(py::str(l.to_string())); });
}

void bind_credential(py::module_& m) {
  py::class_<Credential>(m, "Credential",
                         "How to authenticate. Secrets are never shown by repr(). Build one with "
                         "Credential.default(), .key(), .password() or .token().")
      .def(py::init<>())
      .def_static("default", &Credential::default_credential,
                  "ssh agent, ~/.ssh keys and config; kubeconfig.")
      .def_static("key", &Credential::key, py::arg("path"), py::arg("passphrase") = "",
                  "A private key file, with an optional passphrase.")
      .def_static("password", &Credential::password, py::arg("user"), py::arg("password"))
      .def_static("token", &Credential::token, py::arg("token"), "A bearer token.")
      .def_property_readonly("kind", [](const Credential& c) { return credential_kind(c.kind); })
      .def_readonly("user", &Credential::user)
      .def_readonly("key_file", &Credential::key_file)
      .def("__repr__",
           [](const Credential& c) { return "<cuttle.Credential " + c.describe() + ">"; });
}

void bind_description(py::module_& m) {
  py::class_<StagingEntry>(m, "StagingEntry",
                           "One file to copy. stage_in: source on this machine, destination "
                           "relative to the job's sandbox; stage_out: the reverse.")
      .def(py::init([](std::string source, std::string destination) {
             return StagingEntry{std::move(source), std::move(destination)};
           }),
           py::arg("source"), py::arg("destination") = "")
      .def_readwrite("source", &StagingEntry::source)
      .def_readwrite("destination", &StagingEntry::destination)
      .def("__eq__", [](const StagingEntry& a, const StagingEntry& b) { return a == b; })
      .def("__repr__", [](const StagingEntry& e) {
        return "StagingEntry(" + repr_of(py::str(e.source)) + ", " +
               repr_of(py::str(e.destination)) + ")";
      });

  py::class_<JobDescription> description(
      m, "JobDescription",
      "What to run. Every field is a keyword argument of the constructor:\n"
      "  JobDescription(executable='/bin/sh', arguments=['-c', 'exit 4'], "
      "max_runtime=timedelta(minutes=5))\n"
      "List and dict fields are copied in and out: assign a new list rather than append to "
      "the one you read.");
  description
      .def(py::init([](const py::kwargs& kwargs) {
             auto result = std::make_unique<JobDescription>();
             py::object self = py::cast(result.get(), py::return_value_policy::reference);
             for (auto item : kwargs) {
               auto key = item.first.cast<std::string>();
               bool known = false;
               for (const char* f : description_fields()) known = known || key == f;
               known = known || key == "image";  // the short name of container_image
               if (!known)
                 throw py::type_error("JobDescription() got an unexpected keyword argument '" +
                                      key + "'; the fields are: " + join_fields());
               self.attr(key.c_str()) = item.second;
             }
             return result;
           }),
           "JobDescription(**fields): see the class docstring for the fields.")
      .def_readwrite("name", &JobDescription::name)
      .def_readwrite("executable", &JobDescription::executable)
      .def_readwrite("arguments", &JobDescription::arguments)
      .def_readwrite("environment", &JobDescription::environment)
      .def_readwrite("working_directory", &JobDescription::working_directory)
      .def_readwrite("stdin_path", &JobDescription::stdin_path)
      .def_readwrite("stdout_path", &JobDescription::stdout_path)
      .def_readwrite("stderr_path", &JobDescription::stderr_path)
      .def_readwrite("queue", &JobDescription::queue)
      .def_property(
          "max_runtime",
          [](const JobDescription& d) -> py::object {
            if (!d.max_runtime) return py::none();
            return to_timedelta(*d.max_runtime);
          },
          [](JobDescription& d, const OptionalDuration& value) {
            auto ms = to_optional_milliseconds(value);
            if (!ms) {
              d.max_runtime.reset();
              return;
            }
            // Whole seconds, rounded up: a non-zero allocation never becomes zero.
            d.max_runtime = std::chrono::ceil<std::chrono::seconds>(*ms);
          },
          "The time allocation: datetime.timedelta (or seconds), None for no limit.")
      .def_readwrite("nodes", &JobDescription::nodes)
      .def_readwrite("tasks", &JobDescription::tasks)
      .def_readwrite("cores_per_task", &JobDescription::cores_per_task)
      .def_property(
          "memory_bytes", [](const JobDescription& d) { return d.memory_bytes; },
          [](JobDescription& d, py::handle value) {
            if (value.is_none()) {
              d.memory_bytes.reset();
            } else if (PyUnicode_Check(value.ptr())) {
              d.memory_bytes = parse_size(value.cast<std::string>());
            } else {
              d.memory_bytes = value.cast<std::uint64_t>();
            }
          },
          "Memory per node in bytes (int), or a size text such as '4G'; None: unset.")
      .def_readwrite("gpus", &JobDescription::gpus, "GPUs per node (int), None: none.")
      .def_readwrite("gpu_type", &JobDescription::gpu_type, "e.g. 'a100'; '': any (needs gpus).")
      .def_readwrite("account", &JobDescription::account, "The account (project) charged.")
      .def_readwrite("qos", &JobDescription::qos, "The quality of service.")
      .def_readwrite("reservation", &JobDescription::reservation, "An advance reservation.")
      .def_property(
          "constraints", [](const JobDescription& d) { return d.constraints; },
          [](JobDescription& d, py::handle value) {
            d.constraints = list_of_str(value, "constraints must be a list of node features");
          },
          "Node features, every one required: a list of str.")
      .def_readwrite("exclusive_nodes", &JobDescription::exclusive_nodes,
                     "True: no other job shares the job's nodes.")
      .def_readwrite("launcher", &JobDescription::launcher,
                     "'' or 'none', 'srun', 'mpirun', 'mpiexec': starts `tasks` copies of the "
                     "command (docs/launchers.md).")
      .def_readwrite("pre_launch", &JobDescription::pre_launch,
                     "A script sourced in the job's shell before the command starts.")
      .def_readwrite("post_launch", &JobDescription::post_launch,
                     "A script sourced after the command ended; the job keeps its exit code.")
      .def_property(
          "modules", [](const JobDescription& d) { return d.modules; },
          [](JobDescription& d, py::handle value) {
            d.modules = list_of_str(value, "modules must be a list of module names");
          },
          "Environment modules to `module load`, in order: a list of str.")
      .def_readwrite("inherit_environment", &JobDescription::inherit_environment,
                     "False: the command starts from an empty environment plus `environment`.")
      .def_property(
          "dependencies",
          [](const JobDescription& d) {
            std::vector<std::pair<std::string, std::string>> out;
            for (const JobDependency& dep : d.dependencies) {
              out.emplace_back(std::string(to_string(dep.condition)), dep.job_id);
            }
            return out;
          },
          [](JobDescription& d, py::handle value) { d.dependencies = to_dependencies(value); },
          "Earlier jobs of the same scheduler this one waits for: a list of "
          "'after_ok:ID' strings or (condition, id) pairs, condition one of after_ok, "
          "after_any, after_not_ok, after_start (docs/dependencies.md).")
      .def_readwrite("scheduler_arguments", &JobDescription::scheduler_arguments)
      .def_readwrite("container_image", &JobDescription::container_image)
      .def_property(
          "stage_in", [](const JobDescription& d) { return d.stage_in; },
          [](JobDescription& d, py::handle v) { d.stage_in = to_staging(v, "stage_in"); },
          "Files to copy into the sandbox: StagingEntry, (source, destination) or source.")
      .def_property(
          "stage_out", [](const JobDescription& d) { return d.stage_out; },
          [](JobDescription& d, py::handle v) { d.stage_out = to_staging(v, "stage_out"); },
          "Files to copy back: StagingEntry, (source, destination) or source.")
      .def_readwrite("retry_limit", &JobDescription::retry_limit)
      .def_readwrite("labels", &JobDescription::labels)
      .def("validate", &JobDescription::validate,
           "Raises cuttle.InvalidJobDescription naming the first offending field.")
      .def("copy", [](const JobDescription& d) { return d; })
      .def("__copy__", [](const JobDescription& d) { return d; })
      .def(
          "__deepcopy__", [](const JobDescription& d, const Memo&) { return d; }, py::arg("memo"))
      .def("__eq__", [](const JobDescription& a, const JobDescription& b) { return a == b; })
      .def(
          "to_json",
          [](const JobDescription& d, const OptionalIndent& indent) {
            return to_json_text(d, indent.is_none() ? -1 : indent.cast<int>());
          },
          py::arg("indent") = py::none(),
          "The description as JSON text (the format of `cuttle submit --from`); only fields "
          "that differ from their defaults are written.")
      .def_static(
          "from_json", [](const std::string& text) { return job_description_from_json(text); },
          py::arg("text"),
          "A JobDescription from JSON text; InvalidJobDescription names an unknown or "
          "mistyped field.")
      .def("__repr__", [](const DescriptionObject& self) { return description_repr(self); });
  bind_container_fields(description);
  bind_steps(m, description);
  description.attr("__hash__") = py::none();
}

void bind_status(py::module_& m) {
  py::class_<AttemptRecord>(m, "AttemptRecord", "The outcome of one earlier attempt of a job.")
      .def_readonly("attempt", &AttemptRecord::attempt)
      .def_readonly("backend_id", &AttemptRecord::backend_id)
      .def_readonly("state", &AttemptRecord::state)
      .def_readonly("exit_code", &AttemptRecord::exit_code)
      .def_readonly("reason", &AttemptRecord::reason)
      .def_property_readonly("started",
                             [](const AttemptRecord& a) { return to_datetime(a.started); })
      .def_property_readonly("finished",
                             [](const AttemptRecord& a) { return to_datetime(a.finished); })
      .def("__repr__", [](const AttemptRecord& a) {
        std::string text = "AttemptRecord(attempt=" + std::to_string(a.attempt) +
                           ", state=" + repr_of(py::cast(a.state));
        if (a.exit_code) text += ", exit_code=" + std::to_string(*a.exit_code);
        return text + ")";
      });

  py::class_<JobStatus> status(
      m, "JobStatus",
      "What the scheduler knows about one job at one moment. Times are aware "
      "UTC datetimes (None when unknown).");
  status.def_readonly("id", &JobStatus::id)
      .def_readonly("state", &JobStatus::state)
      .def_readonly("native_state", &JobStatus::native_state,
                    "The scheduler's own word ('PENDING', 'R', 'exited').")
      .def_readonly("reason", &JobStatus::reason)
      .def_readonly("exit_code", &JobStatus::exit_code)
      .def_readonly("step_exit_codes", &JobStatus::step_exit_codes,
                    "A job with steps: the exit code of each step that ran, in order.")
      .def_readonly("error", &JobStatus::error)
      .def_property_readonly("submitted",
                             [](const JobStatus& s) { return to_datetime(s.submitted); })
      .def_property_readonly("started", [](const JobStatus& s) { return to_datetime(s.started); })
      .def_property_readonly("finished", [](const JobStatus& s) { return to_datetime(s.finished); })
      .def_property_readonly("deadline", [](const JobStatus& s) { return to_datetime(s.deadline); })
      .def_readonly("attempt", &JobStatus::attempt)
      .def_readonly("attempts", &JobStatus::attempts, "Earlier attempts, oldest first.")
      .def_readonly("scheduler_info", &JobStatus::scheduler_info)
      .def_property_readonly("running", &JobStatus::running)
      .def_property_readonly("done", &JobStatus::done, "True once the state is final.")
      .def("__repr__", &status_repr);
  auto description = py::reinterpret_borrow<py::class_<JobDescription>>(m.attr("JobDescription"));
  bind_arrays(m, description, status);
}

void bind_adaptors(py::module_& m) {
  py::class_<Capabilities>(m, "Capabilities", "What an adaptor can do.")
      .def_readonly("extend", &Capabilities::extend)
      .def_readonly("staging", &Capabilities::staging)
      .def_readonly("detached", &Capabilities::detached)
      .def_readonly("queues", &Capabilities::queues)
      .def_readonly("containers", &Capabilities::containers)
      .def_readonly("steps", &Capabilities::steps)
      .def_readonly("multi_node", &Capabilities::multi_node)
      .def_readonly("native_time_limit", &Capabilities::native_time_limit)
      .def_readonly("gpus", &Capabilities::gpus)
      .def_readonly("gpu_type", &Capabilities::gpu_type)
      .def_readonly("account", &Capabilities::account)
      .def_readonly("qos", &Capabilities::qos)
      .def_readonly("reservation", &Capabilities::reservation)
      .def_readonly("constraints", &Capabilities::constraints)
      .def_readonly("exclusive_nodes", &Capabilities::exclusive_nodes)
      .def_readonly("scheduler_arguments", &Capabilities::scheduler_arguments)
      .def_readonly("dependencies", &Capabilities::dependencies)
      .def_readonly("native_arrays", &Capabilities::native_arrays)
      .def_readonly("launch", &Capabilities::launch)
      .def_readonly("clean_environment", &Capabilities::clean_environment)
      .def("__repr__", [](const Capabilities& c) {
        std::string on;
        auto add = [&](bool flag, const char* name) {
          if (flag) on += (on.empty() ? "" : ", ") + std::string(name);
        };
        add(c.extend, "extend");
        add(c.staging, "staging");
        add(c.detached, "detached");
        add(c.queues, "queues");
        add(c.containers, "containers");
        add(c.steps, "steps");
        add(c.multi_node, "multi_node");
        add(c.native_time_limit, "native_time_limit");
        add(c.gpus, "gpus");
        add(c.gpu_type, "gpu_type");
        add(c.account, "account");
        add(c.qos, "qos");
        add(c.reservation, "reservation");
        add(c.constraints, "constraints");
        add(c.exclusive_nodes, "exclusive_nodes");
        add(c.scheduler_arguments, "scheduler_arguments");
        add(c.dependencies, "dependencies");
        add(c.native_arrays, "native_arrays");
        add(c.launch, "launch");
        add(c.clean_environment, "clean_environment");
        return "<cuttle.Capabilities " + (on.empty() ? std::string("none") : on) + ">";
      });

  py::class_<PropertyDescriptor>(m, "PropertyDescriptor", "One typed adaptor property.")
      .def_readonly("name", &PropertyDescriptor::name)
      .def_property_readonly("type", [](const PropertyDescriptor& p) { return to_string(p.type); })
      .def_readonly("default", &PropertyDescriptor::default_value)
      .def_readonly("help", &PropertyDescriptor::help)
      .def("__repr__", [](const PropertyDescriptor& p) {
        return "<cuttle.PropertyDescriptor " + p.name + ": " + to_string(p.type) + " = " +
               repr_of(py::str(p.default_value)) + ">";
      });

  py::class_<AdaptorDescriptor>(m, "AdaptorDescriptor",
                                "An adaptor: its schemes, location forms, properties and "
                                "capabilities.")
      .def_readonly("name", &AdaptorDescriptor::name)
      .def_readonly("description", &AdaptorDescriptor::description)
      .def_readonly("schemes", &AdaptorDescriptor::schemes)
      .def_readonly("location_forms", &AdaptorDescriptor::location_forms)
      .def_readonly("properties", &AdaptorDescriptor::properties)
      .def_readonly("capabilities", &AdaptorDescriptor::capabilities)
      .def("__repr__", [](const AdaptorDescriptor& a) {
        std::string schemes;
        for (const auto& s : a.schemes) schemes += (schemes.empty() ? "" : ", ") + s;
        return "<cuttle.AdaptorDescriptor " + a.name + " (" + schemes + ")>";
      });

  py::class_<QueueInfo>(m, "QueueInfo", "A queue (partition) of a scheduler.")
      .def_readonly("name", &QueueInfo::name)
      .def_readonly("is_default", &QueueInfo::is_default)
      .def_readonly("state", &QueueInfo::state)
      .def_readonly("info", &QueueInfo::info)
      .def("__repr__", [](const QueueInfo& q) {
        return "<cuttle.QueueInfo " + q.name + (q.is_default ? " (default)" : "") + " " + q.state +
               ">";
      });

  m.def(
      "adaptors",
      [] {
        register_builtin_adaptors();
        return Registry::global().adaptors();
      },
      "The adaptors built into this library, with their properties and capabilities.");
}

}  // namespace

void bind_model(py::module_& m) {
  bind_location(m);
  bind_credential(m);
  bind_description(m);
  bind_status(m);
  bind_adaptors(m);
  m.attr("__version__") = kVersion;
}

}  // namespace cuttle::python
