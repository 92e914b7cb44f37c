// cuttle::Error -> cuttle.Error and its subclasses. Every subclass also derives from the
// built-in exception a Python user would catch for it (ValueError, LookupError, ...).
#include "bindings/python/errors.h"

#include <array>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "cuttle/error.h"

namespace cuttle::python {
namespace py = pybind11;
namespace {

constexpr std::size_t kKindCount = static_cast<std::size_t>(ErrorKind::kInternal) + 1;

struct ErrorClass {
  ErrorKind kind;
  const char* name;
  PyObject* builtin;  // second base, may be null
  const char* doc;
};

// Leaked references: the classes must outlive every translation, even at shutdown.
PyObject* g_base = nullptr;
std::array<PyObject*, kKindCount> g_classes{};

PyObject* new_class(py::module_& module, const char* name, py::tuple bases, const char* doc,
                    const char* kind) {
  std::string qualified = std::string("cuttle.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (cls == nullptr) throw py::error_already_set();
  py::handle handle(cls);
  handle.attr("kind") = kind;
  module.add_object(name, handle);
  return cls;
}

// Sets the Python error for `error`; the caller returns to Python.
void set_python_error(const Error& error) {
  PyObject* cls = g_classes[static_cast<std::size_t>(error.kind())];
  if (cls == nullptr) cls = g_base;
  py::object instance = py::handle(cls)(error.what());
  instance.attr("kind") = to_string(error.kind());
  instance.attr("transient") = error.transient();
  if (auto* invalid = dynamic_cast<const InvalidJobDescription*>(&error)) {
    instance.attr("field") = invalid->field();
    instance.attr("reason") = invalid->reason();
  } else if (auto* missing = dynamic_cast<const NoSuchJob*>(&error)) {
    instance.attr("job_id") = missing->job_id();
  } else if (auto* failed = dynamic_cast<const CommandFailed*>(&error)) {
    instance.attr("argv") = py::cast(failed->argv());
    instance.attr("exit_code") = failed->exit_code();
    // stderr may hold any bytes; decode leniently so the text is always readable.
    instance.attr("stderr") = py::reinterpret_steal<py::str>(
        PyUnicode_DecodeUTF8(failed->stderr_text().data(),
                             static_cast<Py_ssize_t>(failed->stderr_text().size()), "replace"));
  }
  PyErr_SetObject(cls, instance.ptr());
}

}  // namespace

void bind_errors(py::module_& module) {
  g_base = new_class(module, "Error", py::make_tuple(py::handle(PyExc_Exception)),
                     "Base of every error Cuttle raises. Attributes: kind (str), transient "
                     "(bool: retrying later may succeed).",
                     "error");
  py::handle(g_base).attr("transient") = false;
  const std::vector<ErrorClass> classes = {
      {ErrorKind::kInvalidArgument, "InvalidArgument", PyExc_ValueError,
       "A location, property or option is malformed."},
      {ErrorKind::kInvalidJobDescription, "InvalidJobDescription", PyExc_ValueError,
       "A JobDescription field is invalid. Attributes: field (e.g. 'arguments[2]'), reason."},
      {ErrorKind::kNoSuchJob, "NoSuchJob", PyExc_LookupError,
       "The job id is unknown to the scheduler. Attribute: job_id."},
      {ErrorKind::kAuthenticationFailed, "AuthenticationFailed", PyExc_PermissionError,
       "Credentials or host key refused."},
      {ErrorKind::kConnectionFailed, "ConnectionFailed", PyExc_ConnectionError,
       "The target or scheduler did not answer (transient)."},
      {ErrorKind::kCommandFailed, "CommandFailed", nullptr,
       "A scheduler command exited non-zero. Attributes: argv (list of str), exit_code (int), "
       "stderr (str)."},
      {ErrorKind::kUnsupported, "Unsupported", PyExc_NotImplementedError,
       "The adaptor cannot do this (e.g. extend)."},
      {ErrorKind::kStagingFailed, "StagingFailed", nullptr,
       "A file could not be staged in or out."},
      {ErrorKind::kTimeout, "Timeout", PyExc_TimeoutError, "A bounded operation ran out of time."},
      {ErrorKind::kInternal, "InternalError", nullptr, "A bug or an unexpected system failure."},
  };
  for (const auto& c : classes) {
    py::tuple bases = c.builtin ? py::make_tuple(py::handle(g_base), py::handle(c.builtin))
                                : py::make_tuple(py::handle(g_base));
    g_classes[static_cast<std::size_t>(c.kind)] =
        new_class(module, c.name, bases, c.doc, to_string(c.kind));
  }

  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const Error& error) {
      set_python_error(error);
    }
  });
}

void raise_closed(const char* what) {
  py::object instance = py::handle(g_base)(std::string(what) + " is closed");
  instance.attr("kind") = "closed";
  PyErr_SetObject(g_base, instance.ptr());
  throw py::error_already_set();
}

}  // namespace cuttle::python
