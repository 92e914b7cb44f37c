// Python values the bindings take in more than one form and convert themselves
// (conversions.h, scheduler.cc). To pybind11 each is a plain Python object, as a
// py::handle would be; unlike py::handle, each names the forms it accepts in the
// signatures help() and IDEs show ("timeout: datetime.timedelta | float | None", not
// "timeout: handle"). The conversion and its TypeError stay where they were.
// Thread-safety: as py::object (needs the GIL).
#pragma once

#include <pybind11/pybind11.h>

namespace cuttle::python {

inline int any_python_object(PyObject*) { return 1; }

#define CUTTLE_PY_TYPED_OBJECT(Name, CheckFun)                  \
  class Name : public ::pybind11::object {                      \
   public:                                                      \
    PYBIND11_OBJECT_DEFAULT(Name, ::pybind11::object, CheckFun) \
  };

// Arguments.
CUTTLE_PY_TYPED_OBJECT(Duration, any_python_object)          // to_milliseconds()
CUTTLE_PY_TYPED_OBJECT(OptionalDuration, any_python_object)  // to_optional_milliseconds()
CUTTLE_PY_TYPED_OBJECT(JobRef, any_python_object)            // job_id_of()
CUTTLE_PY_TYPED_OBJECT(LocationArg, any_python_object)       // str or cuttle.Location
CUTTLE_PY_TYPED_OBJECT(PropertyMap, any_python_object)       // to_property_map()
CUTTLE_PY_TYPED_OBJECT(OptionalDescription, any_python_object)
CUTTLE_PY_TYPED_OBJECT(OptionalIndent, any_python_object)
CUTTLE_PY_TYPED_OBJECT(Memo, any_python_object)
CUTTLE_PY_TYPED_OBJECT(ArraySpecArg, any_python_object)  // JobDescription.array
CUTTLE_PY_TYPED_OBJECT(Listener, PyCallable_Check)
CUTTLE_PY_TYPED_OBJECT(ChangeListener, PyCallable_Check)
// The Python objects of the bound classes, where a method needs the object itself (a
// returned Job keeps its Scheduler object; __enter__ returns self).
CUTTLE_PY_TYPED_OBJECT(SchedulerObject, any_python_object)
CUTTLE_PY_TYPED_OBJECT(JobObject, any_python_object)
CUTTLE_PY_TYPED_OBJECT(SubscriptionObject, any_python_object)
CUTTLE_PY_TYPED_OBJECT(TrackerObject, any_python_object)
CUTTLE_PY_TYPED_OBJECT(DescriptionObject, any_python_object)
CUTTLE_PY_TYPED_OBJECT(StepObject, any_python_object)

#undef CUTTLE_PY_TYPED_OBJECT

}  // namespace cuttle::python

namespace pybind11::detail {

#define CUTTLE_PY_SHOWN_AS(Name, Shown)             \
  template <>                                       \
  struct handle_type_name<cuttle::python::Name> {   \
    static constexpr auto name = const_name(Shown); \
  };

CUTTLE_PY_SHOWN_AS(Duration, "datetime.timedelta | float | str")
CUTTLE_PY_SHOWN_AS(OptionalDuration, "datetime.timedelta | float | str | None")
CUTTLE_PY_SHOWN_AS(JobRef, "cuttle.Job | str")
CUTTLE_PY_SHOWN_AS(LocationArg, "str | cuttle.Location")
CUTTLE_PY_SHOWN_AS(PropertyMap, "dict[str, str | int | float | bool | datetime.timedelta] | None")
CUTTLE_PY_SHOWN_AS(OptionalDescription, "cuttle.JobDescription | None")
CUTTLE_PY_SHOWN_AS(OptionalIndent, "int | None")
CUTTLE_PY_SHOWN_AS(Memo, "dict")
CUTTLE_PY_SHOWN_AS(ArraySpecArg, "str | int | None")
CUTTLE_PY_SHOWN_AS(Listener, "Callable[[cuttle.JobStatus], None]")
CUTTLE_PY_SHOWN_AS(ChangeListener, "Callable[[cuttle.TrackedChange], None]")
CUTTLE_PY_SHOWN_AS(SchedulerObject, "cuttle.Scheduler")
CUTTLE_PY_SHOWN_AS(JobObject, "cuttle.Job")
CUTTLE_PY_SHOWN_AS(SubscriptionObject, "cuttle.Subscription")
CUTTLE_PY_SHOWN_AS(TrackerObject, "cuttle.Tracker")
CUTTLE_PY_SHOWN_AS(DescriptionObject, "cuttle.JobDescription")
CUTTLE_PY_SHOWN_AS(StepObject, "cuttle.JobStep")

#undef CUTTLE_PY_SHOWN_AS

}  // namespace pybind11::detail
