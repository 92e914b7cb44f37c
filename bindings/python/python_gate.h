// How threads that Cuttle owns (adaptor, tracker, event loop) enter Python: through one
// gate that the interpreter's atexit hook closes, so that no listener runs, and no
// thread blocks on the GIL, while the interpreter shuts down.
// Thread-safety: PythonGate and Callback may be used from any thread, GIL held or not.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>

#include <pybind11/pybind11.h>

namespace cuttle::python {

namespace py = pybind11;

class PythonGate {
 public:
  static PythonGate& instance();

  // True when the caller may take the GIL; every true must be paired with leave().
  bool enter();
  void leave();
  // Called once, by the atexit hook, with the GIL held: refuses new entries, then waits
  // with the GIL released for the callbacks already inside to return.
  void close();

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t inside_ = 0;
  bool closed_ = false;
};

// A Python callable owned by C++ code (a listener). Calls and destruction may happen on
// any thread: both take the GIL through the gate. After the gate closed, calls do nothing
// and the reference is deliberately leaked (the interpreter is going away).
class Callback {
 public:
  explicit Callback(py::object function) : function_(std::move(function)) {}
  ~Callback();
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;

  // Calls the function with the GIL held. An exception it raises is reported through
  // sys.unraisablehook, never thrown into the calling (C++) thread.
  template <typename Convert>
  void call(Convert&& make_argument) {
    PythonGate& gate = PythonGate::instance();
    if (!gate.enter()) return;
    {
      py::gil_scoped_acquire gil;
      try {
        function_(make_argument());
      } catch (py::error_already_set& e) {
        e.discard_as_unraisable(function_);
      } catch (const std::exception& e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
        py::error_already_set wrapped;
        wrapped.discard_as_unraisable(function_);
      }
    }
    gate.leave();
  }

 private:
  py::object function_;
};

}  // namespace cuttle::python
