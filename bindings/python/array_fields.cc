// Job arrays in Python (docs/arrays.md): JobDescription.array (a spec text such as
// "0-99%5", or a count), cuttle.ArrayElementStatus, JobStatus.array_elements and
// cuttle.array_element_id(). Validation and the text form are the core's.
#include <pybind11/stl.h>

#include "bindings/python/arg_types.h"
#include "bindings/python/bindings.h"
#include "bindings/python/conversions.h"
#include "cuttle/job_array.h"
#include "cuttle/job_description.h"
#include "cuttle/job_status.h"

namespace cuttle::python {
namespace py = pybind11;

void bind_arrays(py::module_& m, py::class_<JobDescription>& description,
                 py::class_<JobStatus>& status) {
  py::class_<ArrayElementStatus>(m, "ArrayElementStatus",
                                 "One element of an array job as the array's status lists it; "
                                 "status(cuttle.array_element_id(id, index)) has all of it.")
      .def_readonly("index", &ArrayElementStatus::index)
      .def_readonly("state", &ArrayElementStatus::state)
      .def_readonly("exit_code", &ArrayElementStatus::exit_code)
      .def("__repr__", [](const ArrayElementStatus& e) {
        std::string text = "ArrayElementStatus(index=" + std::to_string(e.index) +
                           ", state=" + py::repr(py::cast(e.state)).cast<std::string>();
        if (e.exit_code) text += ", exit_code=" + std::to_string(*e.exit_code);
        return text + ")";
      });

  description.def_property(
      "array",
      [](const JobDescription& d) -> std::optional<std::string> {
        if (!d.array) return std::nullopt;
        return d.array->to_string();
      },
      [](JobDescription& d, const ArraySpecArg& value) {
        if (value.is_none()) {
          d.array.reset();
        } else if (PyUnicode_Check(value.ptr())) {
          d.array = ArraySpec::parse(value.cast<std::string>());
        } else if (PyLong_Check(value.ptr()) && !PyBool_Check(value.ptr())) {
          d.array = ArraySpec::of_count(value.cast<int>());
        } else {
          throw py::type_error("array must be a spec text such as '0-99%5', a count, or None");
        }
      },
      "A job array: 'FIRST-LAST[:STEP][%THROTTLE]' or a count (int or 'COUNT[%THROTTLE]'); "
      "read back as 'FIRST-LAST:STEP[%THROTTLE]'. None: not an array.");

  status.def_readonly("array_elements", &JobStatus::array_elements,
                      "An array job: each element's index, state and exit code (the status's "
                      "own state and exit_code are their aggregate). Empty otherwise.");

  m.def("array_element_id", &array_element_id, py::arg("array_id"), py::arg("index"),
        "The id of one element of an array job: 'ARRAY_ID[INDEX]'.");
}

}  // namespace cuttle::python
