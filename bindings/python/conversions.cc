// Time, duration, property and JobState conversions (see conversions.h).
#include "bindings/python/conversions.h"

#include <array>
#include <cmath>

#include "cuttle/properties.h"

namespace cuttle::python {
namespace {

// Module-level objects looked up once and kept for the life of the process (leaked:
// they must outlive every converter call, including during interpreter shutdown).
py::handle datetime_attr(const char* name) {
  return py::object(py::module_::import("datetime").attr(name)).release();
}

py::handle utc_epoch() {
  static py::handle epoch = [] {
    py::object utc = datetime_attr("timezone").attr("utc");
    return datetime_attr("datetime")(1970, 1, 1, 0, 0, 0, 0, utc).release();
  }();
  return epoch;
}

py::handle timedelta_type() {
  static py::handle type = datetime_attr("timedelta");
  return type;
}

}  // namespace

py::object to_datetime(const std::optional<TimePoint>& time) {
  if (!time) return py::none();
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time->time_since_epoch()).count();
  py::object delta = timedelta_type()(0, 0, micros);
  return utc_epoch().attr("__add__")(delta);
}

py::object to_timedelta(std::chrono::milliseconds duration) {
  return timedelta_type()(0, 0, 0, duration.count());
}

std::chrono::milliseconds to_milliseconds(py::handle duration) {
  double seconds = 0;
  if (py::isinstance(duration, timedelta_type())) {
    seconds = duration.attr("total_seconds")().cast<double>();
  } else if (PyLong_Check(duration.ptr()) || PyFloat_Check(duration.ptr())) {
    if (PyBool_Check(duration.ptr())) throw py::type_error("a duration cannot be a bool");
    seconds = duration.cast<double>();
  } else if (PyUnicode_Check(duration.ptr())) {
    // The same text the command line takes ("10m", "2h", "90"); InvalidArgument names it.
    return parse_duration(duration.cast<std::string>());
  } else {
    throw py::type_error(
        "expected a datetime.timedelta, a number of seconds or a text such as "
        "'10m', got " +
        std::string(py::str(duration.get_type().attr("__name__"))));
  }
  if (!std::isfinite(seconds)) throw py::value_error("a duration must be finite");
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
}

std::optional<std::chrono::milliseconds> to_optional_milliseconds(py::handle duration) {
  if (duration.is_none()) return std::nullopt;
  return to_milliseconds(duration);
}

std::string to_property_text(py::handle value) {
  if (PyUnicode_Check(value.ptr())) return value.cast<std::string>();
  if (PyBool_Check(value.ptr())) return value.ptr() == Py_True ? "true" : "false";
  if (PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr())) return py::str(value);
  if (py::isinstance(value, timedelta_type()))
    return std::to_string(to_milliseconds(value).count()) + "ms";
  throw py::type_error("a property value must be str, int, float, bool or timedelta, got " +
                       std::string(py::str(value.get_type().attr("__name__"))));
}

std::map<std::string, std::string> to_property_map(py::handle mapping) {
  std::map<std::string, std::string> result;
  if (mapping.is_none()) return result;
  py::dict dict = py::dict(py::reinterpret_borrow<py::object>(mapping));
  for (auto item : dict) {
    result[item.first.cast<std::string>()] = to_property_text(item.second);
  }
  return result;
}

py::handle job_state_type() {
  static py::handle type =
      py::object(py::module_::import("cuttle._state").attr("JobState")).release();
  return type;
}

namespace {

constexpr std::size_t kStateCount = static_cast<std::size_t>(JobState::kError) + 1;

// The enum members, indexed by the C++ enumerator.
const std::array<py::handle, kStateCount>& state_members() {
  static const std::array<py::handle, kStateCount> members = [] {
    std::array<py::handle, kStateCount> all;
    for (std::size_t i = 0; i < kStateCount; ++i) {
      std::string name(to_string(static_cast<JobState>(i)));
      all[i] = job_state_type()(name).release();
    }
    return all;
  }();
  return members;
}

}  // namespace
}  // namespace cuttle::python

namespace pybind11::detail {

bool type_caster<cuttle::JobState>::load(handle source, bool) {
  handle text = source;
  object value;
  if (isinstance(source, cuttle::python::job_state_type())) {
    value = source.attr("value");
    text = value;
  }
  if (!PyUnicode_Check(text.ptr())) return false;
  auto parsed = cuttle::parse_job_state(text.cast<std::string>());
  if (!parsed) return false;
  this->value = *parsed;
  return true;
}

handle type_caster<cuttle::JobState>::cast(cuttle::JobState state, return_value_policy, handle) {
  return cuttle::python::state_members()[static_cast<std::size_t>(state)].inc_ref();
}

}  // namespace pybind11::detail
