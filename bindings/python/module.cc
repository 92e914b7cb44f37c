// The native module cuttle._cuttle; the package cuttle (cuttle/__init__.py) re-exports it.
#include <pybind11/pybind11.h>

#include "bindings/python/bindings.h"
#include "bindings/python/python_gate.h"

PYBIND11_MODULE(_cuttle, module) {
  namespace py = pybind11;
  module.doc() = "Cuttle: one API to run jobs on local processes, SSH hosts, Slurm and Torque.";
  cuttle::python::bind_errors(module);
  cuttle::python::bind_model(module);
  cuttle::python::bind_scheduler(module);
  cuttle::python::bind_tracker(module);
  // Listeners run on Cuttle's threads; from here on (interpreter shutdown) they must not
  // enter Python any more. atexit hooks run before the interpreter starts tearing down.
  py::module_::import("atexit").attr("register")(
      py::cpp_function([] { cuttle::python::PythonGate::instance().close(); }));
}
