// The gate between Cuttle's own threads and the Python interpreter.
#include "bindings/python/python_gate.h"

namespace cuttle::python {

PythonGate& PythonGate::instance() {
  // Leaked on purpose: C++ threads may still consult it during static destruction.
  static PythonGate* gate = new PythonGate;
  return *gate;
}

bool PythonGate::enter() {
  std::lock_guard lock(mutex_);
  if (closed_ || !Py_IsInitialized()) return false;
  ++inside_;
  return true;
}

void PythonGate::leave() {
  std::lock_guard lock(mutex_);
  if (--inside_ == 0) idle_.notify_all();
}

void PythonGate::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  // The callbacks inside may be waiting for the GIL this thread holds.
  py::gil_scoped_release release;
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return inside_ == 0; });
}

Callback::~Callback() {
  PythonGate& gate = PythonGate::instance();
  if (!gate.enter()) {
    function_.release();  // the interpreter is shutting down: leak rather than crash
    return;
  }
  {
    py::gil_scoped_acquire gil;
    function_ = py::object();
  }
  gate.leave();
}

}  // namespace cuttle::python
