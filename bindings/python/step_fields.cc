// cuttle.JobStep and JobDescription.steps: a job that runs several commands in order
// (docs/steps.md). Field names are the C++ names; validation is the core's.
#include <pybind11/stl.h>

#include "bindings/python/arg_types.h"
#include "bindings/python/bindings.h"
#include "cuttle/job_description.h"

namespace cuttle::python {
namespace py = pybind11;
namespace {

const char* const kStepFields[] = {"executable",  "arguments",         "container_image",
                                   "environment", "working_directory", "stdin_path",
                                   "stdout_path", "stderr_path",       "ignore_error"};

std::string step_repr(py::handle self) {
  static py::handle defaults = py::cast(JobStep{}).release();  // leaked: see model.cc
  std::string text = "JobStep(";
  bool first = true;
  for (const char* f : kStepFields) {
    py::object value = self.attr(f);
    if (value.equal(defaults.attr(f))) continue;
    text += (first ? "" : ", ") + std::string(f) + "=" + py::repr(value).cast<std::string>();
    first = false;
  }
  return text + ")";
}

}  // namespace

void bind_steps(py::module_& m, py::class_<JobDescription>& description) {
  py::class_<JobStep>(m, "JobStep",
                      "One command of a job that runs several in order "
                      "(JobDescription.steps), each in the job's sandbox and, with a "
                      "container_image, in its own container:\n"
                      "  JobStep(executable='sh', arguments=['-c', 'ls > /work/ls.txt'], "
                      "container_image='localhost/busybox:latest')")
      .def(py::init([](const py::kwargs& kwargs) {
             auto result = std::make_unique<JobStep>();
             py::object self = py::cast(result.get(), py::return_value_policy::reference);
             for (auto item : kwargs) {
               auto key = item.first.cast<std::string>();
               bool known = false;
               for (const char* f : kStepFields) known = known || key == f;
               if (!known) {
                 throw py::type_error("JobStep() got an unexpected keyword argument '" + key + "'");
               }
               self.attr(key.c_str()) = item.second;
             }
             return result;
           }),
           "JobStep(**fields)")
      .def_readwrite("executable", &JobStep::executable)
      .def_readwrite("arguments", &JobStep::arguments)
      .def_readwrite("container_image", &JobStep::container_image,
                     "'' runs the step on the host; `container` options of the job apply.")
      .def_readwrite("environment", &JobStep::environment, "Added to the job's environment.")
      .def_readwrite("working_directory", &JobStep::working_directory)
      .def_readwrite("stdin_path", &JobStep::stdin_path)
      .def_readwrite("stdout_path", &JobStep::stdout_path,
                     "'' appends the step's output to the job's stdout.")
      .def_readwrite("stderr_path", &JobStep::stderr_path)
      .def_readwrite("ignore_error", &JobStep::ignore_error,
                     "A non-zero exit does not stop the steps after this one.")
      .def("__eq__", [](const JobStep& a, const JobStep& b) { return a == b; })
      .def("__repr__", [](const StepObject& self) { return step_repr(self); });

  description.def_readwrite("steps", &JobDescription::steps,
                            "A list of JobStep run in order instead of executable/arguments; "
                            "JobStatus.step_exit_codes has each step's exit code.");
}

}  // namespace cuttle::python
