// The ONE translation of cuttle::Error into Python: a hierarchy under cuttle.Error, keyed
// on Error::kind(). Thread-safety: bind_errors() runs once at import; translation needs
// the GIL (pybind11 guarantees it).
#pragma once

#include <pybind11/pybind11.h>

namespace cuttle::python {

void bind_errors(pybind11::module_& module);

// Raises cuttle.Error(message) (kind "closed") for use on a closed Scheduler or Tracker.
[[noreturn]] void raise_closed(const char* what);

}  // namespace cuttle::python
