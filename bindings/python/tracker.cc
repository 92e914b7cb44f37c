// cuttle.Tracker and cuttle.TrackedChange: one thread watching many jobs across
// schedulers, calling Python listeners (with the GIL taken) on its own thread.
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include <pybind11/stl.h>

#include "bindings/python/arg_types.h"
#include "bindings/python/bindings.h"
#include "bindings/python/conversions.h"
#include "bindings/python/errors.h"
#include "bindings/python/python_gate.h"
#include "bindings/python/scheduler.h"
#include "cuttle/tracker.h"

namespace cuttle::python {
namespace {

using std::chrono::milliseconds;

struct PyTrackedChange {
  py::object scheduler;  // the cuttle.Scheduler the job was watched on, or None
  JobStatus status;
};

class PyTracker {
 public:
  PyTracker() : tracker_(std::make_shared<Tracker>()) {}
  ~PyTracker() { close(); }
  PyTracker(const PyTracker&) = delete;
  PyTracker& operator=(const PyTracker&) = delete;

  void close() {
    drop_without_gil(tracker_);
    schedulers_->clear();
  }

  std::shared_ptr<Tracker> get() const {
    if (!tracker_) raise_closed("this cuttle.Tracker");
    return tracker_;
  }

  JobObject watch(const SchedulerObject& scheduler, const JobRef& job) {
    auto core = scheduler.cast<PyScheduler&>().get();
    std::string id = job_id_of(job);
    (*schedulers_)[core.get()] = py::reinterpret_borrow<py::object>(scheduler);
    auto tracker = get();
    {
      py::gil_scoped_release release;
      tracker->watch(core, id);
    }
    return py::reinterpret_steal<JobObject>(
        py::cast(PyJob{py::reinterpret_borrow<py::object>(scheduler), id}).release());
  }

  Tracker::ListenerId add_listener(const ChangeListener& listener) {
    auto callback = std::make_shared<Callback>(py::reinterpret_borrow<py::function>(listener));
    auto tracker = get();
    // The map is only read with the GIL held (inside callback->call) and outlives the
    // core tracker's thread (close() drops the tracker first).
    auto schedulers = schedulers_;
    py::gil_scoped_release release;
    return tracker->add_listener([callback, schedulers](const TrackedChange& change) {
      callback->call([&] {
        auto found = schedulers->find(change.scheduler.get());
        py::object scheduler = found == schedulers->end() ? py::object(py::none()) : found->second;
        return py::cast(PyTrackedChange{scheduler, change.status});
      });
    });
  }

  void remove_listener(Tracker::ListenerId id) {
    auto tracker = get();
    py::gil_scoped_release release;
    tracker->remove_listener(id);
  }

  std::size_t active() const {
    auto tracker = get();
    py::gil_scoped_release release;
    return tracker->active();
  }

  // Sliced like Scheduler waits, so that Ctrl-C gets through.
  bool wait_idle(const OptionalDuration& timeout_object) {
    auto timeout = to_optional_milliseconds(timeout_object);
    auto tracker = get();
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      milliseconds slice = kWaitSlice;
      if (timeout) {
        auto left = *timeout - std::chrono::duration_cast<milliseconds>(
                                   std::chrono::steady_clock::now() - start);
        slice = std::clamp(left, milliseconds(0), kWaitSlice);
      }
      bool idle = false;
      {
        py::gil_scoped_release release;
        idle = tracker->wait_idle(slice);
      }
      if (idle) return true;
      if (timeout && std::chrono::steady_clock::now() - start >= *timeout) return false;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
  }

  bool closed() const { return tracker_ == nullptr; }

 private:
  // Shared with the listeners; destroyed with the GIL held (it holds Python objects).
  struct SchedulerMap : std::map<const Scheduler*, py::object> {};
  std::shared_ptr<Tracker> tracker_;
  std::shared_ptr<SchedulerMap> schedulers_ = std::make_shared<SchedulerMap>();
};

}  // namespace

void bind_tracker(py::module_& m) {
  py::class_<PyTrackedChange>(m, "TrackedChange",
                              "One state change delivered by a Tracker: .status and the "
                              ".scheduler the job was watched on.")
      .def_readonly("scheduler", &PyTrackedChange::scheduler)
      .def_readonly("status", &PyTrackedChange::status)
      .def_property_readonly("job_id", [](const PyTrackedChange& c) { return c.status.id; })
      .def_property_readonly("state", [](const PyTrackedChange& c) { return c.status.state; })
      .def("__repr__", [](const PyTrackedChange& c) {
        return "<cuttle.TrackedChange " + py::repr(py::cast(c.status)).cast<std::string>() + ">";
      });

  py::class_<PyTracker>(m, "Tracker",
                        "Watches many jobs across schedulers; listeners are called as "
                        "listener(change) on the tracker's thread, in order per job, each change "
                        "once. Use it in a with block, or call close().")
      .def(py::init<>())
      .def("watch", &PyTracker::watch, py::arg("scheduler"), py::arg("job"),
           "Starts watching a job; its current status is delivered first. Returns a Job.")
      .def("add_listener", &PyTracker::add_listener, py::arg("listener"),
           "Registers listener(change: TrackedChange); returns an id for remove_listener.")
      .def("remove_listener", &PyTracker::remove_listener, py::arg("listener_id"))
      .def_property_readonly("active", &PyTracker::active,
                             "How many watched jobs are not yet final.")
      .def("wait_idle", &PyTracker::wait_idle, py::arg("timeout") = py::none(),
           "Blocks until no watched job is active (True) or the timeout passes (False). "
           "Ctrl-C interrupts it.")
      .def_property_readonly("closed", &PyTracker::closed)
      .def("close", &PyTracker::close, "Stops the tracker's thread. Idempotent.")
      .def("__enter__", [](const TrackerObject& self) { return self; })
      .def("__exit__", [](PyTracker& t, py::args) { t.close(); })
      .def("__repr__", [](const PyTracker& t) {
        if (t.closed()) return std::string("<cuttle.Tracker closed>");
        return "<cuttle.Tracker active=" + std::to_string(t.active()) + ">";
      });
}

}  // namespace cuttle::python
