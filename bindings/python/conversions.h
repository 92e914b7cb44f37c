// Conversions between Cuttle's C++ values and Python objects: times as aware UTC
// datetimes, durations as timedelta, JobState as the Python enum cuttle.JobState.
// Thread-safety: every function needs the GIL.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <pybind11/pybind11.h>

#include "cuttle/job_state.h"
#include "cuttle/job_status.h"

namespace cuttle::python {

namespace py = pybind11;

// None for nullopt; else datetime.datetime(..., tzinfo=datetime.timezone.utc).
py::object to_datetime(const std::optional<TimePoint>& time);
py::object to_timedelta(std::chrono::milliseconds duration);

// Accepts a datetime.timedelta or a number of seconds (int or float). TypeError otherwise.
std::chrono::milliseconds to_milliseconds(py::handle duration);
// None -> nullopt (wait forever); else as to_milliseconds.
std::optional<std::chrono::milliseconds> to_optional_milliseconds(py::handle duration);

// The text form an adaptor property is declared in: str as is, bool -> "true"/"false",
// int/float -> decimal, timedelta -> "<n>ms".
std::string to_property_text(py::handle value);
std::map<std::string, std::string> to_property_map(py::handle mapping);

// The cuttle.JobState enum class (defined in cuttle/_state.py).
py::handle job_state_type();

}  // namespace cuttle::python

namespace pybind11::detail {

// cuttle::JobState <-> cuttle.JobState (a str-valued enum.Enum); strings such as
// "completed" are accepted where a JobState is expected.
template <>
struct type_caster<cuttle::JobState> {
  PYBIND11_TYPE_CASTER(cuttle::JobState, const_name("JobState"));
  bool load(handle source, bool convert);
  static handle cast(cuttle::JobState state, return_value_policy, handle);
};

}  // namespace pybind11::detail
