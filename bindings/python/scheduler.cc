// cuttle.Scheduler, cuttle.Job, cuttle.Subscription (see scheduler.h).
#include "bindings/python/scheduler.h"

#include <algorithm>

#include <pybind11/stl.h>

#include "bindings/python/arg_types.h"
#include "bindings/python/bindings.h"
#include "bindings/python/conversions.h"
#include "bindings/python/errors.h"
#include "bindings/python/python_gate.h"
#include "cuttle/cuttle.h"

namespace cuttle::python {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class PySubscription {
 public:
  explicit PySubscription(std::shared_ptr<SubscriptionSlot> slot) : slot_(std::move(slot)) {}
  ~PySubscription() { close(); }
  PySubscription(const PySubscription&) = delete;
  PySubscription& operator=(const PySubscription&) = delete;
  void close() {
    if (slot_) drop_without_gil(slot_->subscription);
  }
  bool active() const { return slot_ && slot_->subscription; }

 private:
  std::shared_ptr<SubscriptionSlot> slot_;
};

PyScheduler& unwrap(py::handle scheduler) { return scheduler.cast<PyScheduler&>(); }

std::shared_ptr<Scheduler> open(const LocationArg& location, const PropertyMap& properties,
                                std::optional<Credential> credential, std::string& text) {
  text = py::isinstance<Location>(location) ? location.cast<const Location&>().to_string()
                                            : location.cast<std::string>();
  SchedulerOptions options;
  options.properties = to_property_map(properties);
  if (credential) options.credential = *credential;
  py::gil_scoped_release release;  // connecting may take a while (ssh, kubernetes)
  return open_scheduler(text, options);
}

JobDescription description_from(const OptionalDescription& description, const py::kwargs& fields) {
  if (!description.is_none()) {
    if (fields.size() > 0)
      throw py::type_error("submit() takes a JobDescription or keyword fields, not both");
    return description.cast<JobDescription>();
  }
  py::object made = py::module_::import("cuttle._cuttle").attr("JobDescription")(**fields);
  return made.cast<JobDescription>();
}

JobObject make_job(py::handle scheduler, std::string id) {
  return py::reinterpret_steal<JobObject>(
      py::cast(PyJob{py::reinterpret_borrow<py::object>(scheduler), std::move(id)}).release());
}

std::string job_repr(const PyJob& job) {
  const auto& s = unwrap(job.scheduler);
  return "<cuttle.Job " + job.id + " on " + s.location_text() + ">";
}

std::string scheduler_repr(const PyScheduler& s) {
  std::string text =
      "<cuttle.Scheduler " + py::repr(py::str(s.location_text())).cast<std::string>();
  if (s.closed()) return text + " closed>";
  return text + " adaptor=" + s.adaptor_name() + ">";
}

// Scheduler methods; `self` is the Python object so that a returned Job can refer to it.
JobObject submit(const SchedulerObject& self, const OptionalDescription& description,
                 const py::kwargs& fields) {
  JobDescription d = description_from(description, fields);
  auto scheduler = unwrap(self).get();
  std::string id;
  {
    py::gil_scoped_release release;
    id = scheduler->submit(d);
  }
  return make_job(self, std::move(id));
}

JobStatus status(const PyScheduler& s, const JobRef& job) {
  std::string id = job_id_of(job);
  auto scheduler = s.get();
  py::gil_scoped_release release;
  return scheduler->status(id);
}

std::vector<JobStatus> statuses(const PyScheduler& s, py::iterable jobs) {
  std::vector<std::string> ids;
  for (py::handle job : jobs) ids.push_back(job_id_of(job));
  auto scheduler = s.get();
  py::gil_scoped_release release;
  return scheduler->statuses(ids);
}

JobStatus cancel(const PyScheduler& s, const JobRef& job) {
  std::string id = job_id_of(job);
  auto scheduler = s.get();
  py::gil_scoped_release release;
  return scheduler->cancel(id);
}

JobStatus wait(const PyScheduler& s, py::handle job, const OptionalDuration& timeout,
               bool until_done) {
  return wait_sliced(s.get(), job_id_of(job), to_optional_milliseconds(timeout), until_done);
}

JobStatus extend(const PyScheduler& s, const JobRef& job, const Duration& by) {
  std::string id = job_id_of(job);
  auto seconds = std::chrono::ceil<std::chrono::seconds>(to_milliseconds(by));
  auto scheduler = s.get();
  py::gil_scoped_release release;
  return scheduler->extend(id, seconds);
}

SubscriptionObject subscribe(PyScheduler& s, const Listener& listener) {
  auto callback = std::make_shared<Callback>(py::reinterpret_borrow<py::function>(listener));
  auto scheduler = s.get();
  std::shared_ptr<Subscription> subscription;
  {
    py::gil_scoped_release release;
    subscription = scheduler->subscribe([callback](const JobStatus& status) {
      callback->call([&status] { return py::cast(status); });
    });
  }
  return py::reinterpret_steal<SubscriptionObject>(
      py::cast(std::make_unique<PySubscription>(s.add_subscription(std::move(subscription))))
          .release());
}

void bind_job(py::module_& m) {
  py::class_<PyJob>(m, "Job",
                    "A submitted job: .id and the .scheduler it runs on. str(job) is its id; "
                    "every Scheduler method accepts a Job or an id string.")
      .def_property_readonly("id", [](const PyJob& j) { return j.id; })
      .def_property_readonly("scheduler", [](const PyJob& j) { return j.scheduler; })
      .def(
          "status", [](const PyJob& j) { return status(unwrap(j.scheduler), py::str(j.id)); },
          "The job's current status.")
      .def(
          "cancel", [](const PyJob& j) { return cancel(unwrap(j.scheduler), py::str(j.id)); },
          "Cancels the job (nothing happens if it is already done); returns its status.")
      .def(
          "wait_until_done",
          [](const PyJob& j, const OptionalDuration& timeout) {
            return wait(unwrap(j.scheduler), py::str(j.id), timeout, true);
          },
          py::arg("timeout") = py::none(), "See Scheduler.wait_until_done.")
      .def(
          "wait_until_running",
          [](const PyJob& j, const OptionalDuration& timeout) {
            return wait(unwrap(j.scheduler), py::str(j.id), timeout, false);
          },
          py::arg("timeout") = py::none(), "See Scheduler.wait_until_running.")
      .def("__str__", [](const PyJob& j) { return j.id; })
      .def("__repr__", &job_repr)
      .def("__eq__",
           [](const PyJob& a, const py::object& b) {
             if (!py::isinstance<PyJob>(b)) return false;
             const auto& other = b.cast<const PyJob&>();
             return a.id == other.id && a.scheduler.is(other.scheduler);
           })
      .def("__hash__", [](const PyJob& j) { return py::hash(py::str(j.id)); });
}

void bind_subscription(py::module_& m) {
  py::class_<PySubscription>(m, "Subscription",
                             "Keeps a listener registered until close() (or the end of a with "
                             "block, or the Scheduler's close()).")
      .def("close", &PySubscription::close, "Stops the listener. Idempotent.")
      .def_property_readonly("active", &PySubscription::active)
      .def("__enter__", [](const SubscriptionObject& self) { return self; })
      .def("__exit__", [](PySubscription& s, py::args) { s.close(); })
      .def("__repr__", [](const PySubscription& s) {
        return std::string("<cuttle.Subscription ") + (s.active() ? "active" : "closed") + ">";
      });
}

void bind_scheduler_class(py::module_& m) {
  py::class_<PyScheduler>(
      m, "Scheduler",
      "A scheduler opened from a location:\n"
      "  with cuttle.Scheduler('slurm+ssh://alice@login.hpc', properties={'poll.interval.min': "
      "'2s'},\n                        credential=cuttle.Credential.key('~/.ssh/id_ed25519')) as "
      "s:\n"
      "      job = s.submit(executable='/bin/hostname')\n"
      "      print(s.wait_until_done(job).exit_code)\n"
      "Property values may be str, int, bool or timedelta; cuttle.adaptors() lists them.")
      .def(py::init([](const LocationArg& location, const PropertyMap& properties,
                       std::optional<Credential> credential) {
             std::string text;
             auto scheduler = open(location, properties, std::move(credential), text);
             return std::make_unique<PyScheduler>(std::move(scheduler), std::move(text));
           }),
           py::arg("location"), py::kw_only(), py::arg("properties") = py::none(),
           py::arg("credential") = py::none())
      .def_property_readonly("adaptor_name", &PyScheduler::adaptor_name)
      .def_property_readonly("location", [](const PyScheduler& s) { return s.get()->location(); })
      .def_property_readonly("capabilities",
                             [](const PyScheduler& s) { return s.get()->capabilities(); })
      .def_property_readonly("closed", &PyScheduler::closed)
      .def("submit", &submit, py::arg("description") = py::none(),
           "submit(description=None, **fields) -> Job. Validates (InvalidJobDescription naming "
           "the field) and starts the job. Fields may be given instead of a JobDescription.")
      .def("status", &status, py::arg("job"), "The current status of a Job or job id.")
      .def("statuses", &statuses, py::arg("jobs"),
           "Statuses of many jobs in one round trip, in the order given.")
      .def("cancel", &cancel, py::arg("job"),
           "Cancels the job; a no-op for a finished or cancelled job. Returns its status.")
      .def(
          "wait_until_done",
          [](const PyScheduler& s, const JobRef& job, const OptionalDuration& timeout) {
            return wait(s, job, timeout, true);
          },
          py::arg("job"), py::arg("timeout") = py::none(),
          "Blocks until the job is done, or `timeout` (timedelta or seconds; None: forever) "
          "passes; returns the latest status either way (check .done). Ctrl-C interrupts it.")
      .def(
          "wait_until_running",
          [](const PyScheduler& s, const JobRef& job, const OptionalDuration& timeout) {
            return wait(s, job, timeout, false);
          },
          py::arg("job"), py::arg("timeout") = py::none(),
          "Blocks until the job runs or is done, or `timeout` passes; returns the latest status.")
      .def("extend", &extend, py::arg("job"), py::arg("by"),
           "Adds `by` (timedelta or seconds) to the job's time allocation; Unsupported where the "
           "backend forbids it.")
      .def(
          "queues",
          [](const PyScheduler& s) {
            auto scheduler = s.get();
            py::gil_scoped_release release;
            return scheduler->queues();
          },
          "The scheduler's queues (partitions).")
      .def(
          "jobs",
          [](const PyScheduler& s, const std::string& queue) {
            auto scheduler = s.get();
            py::gil_scoped_release release;
            return scheduler->jobs(queue);
          },
          py::arg("queue") = "", "Ids of the jobs this scheduler knows about.")
      .def(
          "track",
          [](const SchedulerObject& self, const JobRef& job) {
            std::string id = job_id_of(job);
            auto scheduler = unwrap(self).get();
            {
              py::gil_scoped_release release;
              scheduler->track(id);
            }
            return make_job(self, id);
          },
          py::arg("job"), "Starts watching a job submitted elsewhere (re-attach); returns a Job.")
      .def("subscribe", &subscribe, py::arg("listener"),
           "Calls listener(status) on the adaptor's thread for every state change of every job "
           "of this scheduler. Returns a Subscription; keep it (or use it in a with block).")
      .def("close", &PyScheduler::close,
           "Drops the subscriptions and the connection. Idempotent; jobs keep running where the "
           "adaptor allows (capabilities.detached).")
      .def("__enter__", [](const SchedulerObject& self) { return self; })
      .def("__exit__", [](PyScheduler& s, py::args) { s.close(); })
      .def("__repr__", &scheduler_repr);
}

}  // namespace

PyScheduler::PyScheduler(std::shared_ptr<Scheduler> scheduler, std::string location_text)
    : scheduler_(std::move(scheduler)), location_text_(std::move(location_text)) {
  adaptor_name_ = scheduler_->adaptor_name();
  location_text_ = scheduler_->location().to_string();
}

PyScheduler::~PyScheduler() { close(); }

std::shared_ptr<Scheduler> PyScheduler::get() const {
  if (!scheduler_) raise_closed("this cuttle.Scheduler");
  return scheduler_;
}

void PyScheduler::close() {
  // Taken out first: another Python thread may subscribe while the GIL is released below.
  auto subscriptions = std::move(subscriptions_);
  subscriptions_.clear();
  for (auto& weak : subscriptions) {
    if (auto slot = weak.lock()) drop_without_gil(slot->subscription);
  }
  drop_without_gil(scheduler_);
}

std::shared_ptr<SubscriptionSlot> PyScheduler::add_subscription(
    std::shared_ptr<Subscription> subscription) {
  std::erase_if(subscriptions_, [](const auto& weak) {
    auto slot = weak.lock();
    return !slot || !slot->subscription;
  });
  auto slot = std::make_shared<SubscriptionSlot>(SubscriptionSlot{std::move(subscription)});
  subscriptions_.push_back(slot);
  return slot;
}

std::string job_id_of(py::handle job) {
  if (py::isinstance<PyJob>(job)) return job.cast<const PyJob&>().id;
  if (PyUnicode_Check(job.ptr())) return job.cast<std::string>();
  throw py::type_error("expected a cuttle.Job or a job id (str), got " +
                       py::str(job.get_type().attr("__name__")).cast<std::string>());
}

JobStatus wait_sliced(const std::shared_ptr<Scheduler>& scheduler, const std::string& id,
                      std::optional<milliseconds> timeout, bool until_done) {
  const auto start = steady_clock::now();
  auto reached = [until_done](const JobStatus& s) {
    return until_done ? s.done() : (s.running() || s.done());
  };
  for (;;) {
    milliseconds slice = kWaitSlice;
    if (timeout) {
      auto left = *timeout - std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
      slice = std::clamp(left, milliseconds(0), kWaitSlice);
    }
    JobStatus status;
    {
      py::gil_scoped_release release;
      status = until_done ? scheduler->wait_until_done(id, slice)
                          : scheduler->wait_until_running(id, slice);
    }
    if (reached(status)) return status;
    if (timeout && steady_clock::now() - start >= *timeout) return status;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
}

void bind_scheduler(py::module_& m) {
  bind_subscription(m);
  bind_scheduler_class(m);
  bind_job(m);
}

}  // namespace cuttle::python
