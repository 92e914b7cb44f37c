// cuttle.Scheduler, cuttle.Job and cuttle.Subscription: the Python face of a
// cuttle::Scheduler. Every call that may block runs with the GIL released; waits run in
// short slices so that Ctrl-C (KeyboardInterrupt) gets through.
// Thread-safety: Python objects, used with the GIL held (pybind11 guarantees it); the
// core scheduler they wrap may be used by many Python threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/pybind11.h>

#include "cuttle/scheduler.h"

namespace cuttle::python {

namespace py = pybind11;

// Destroys what `owned` holds with the GIL released when the calling thread holds it:
// destroying a scheduler, subscription or tracker may wait for a listener that is
// itself waiting for the GIL.
template <typename T>
void drop_without_gil(T& owned) {
  auto local = std::move(owned);
  if (!local) return;
  if (Py_IsInitialized() && PyGILState_Check()) {
    py::gil_scoped_release release;
    local.reset();
  } else {
    local.reset();
  }
}

// One subscription, shared by the Subscription object and the Scheduler that made it
// (closing either ends it).
struct SubscriptionSlot {
  std::shared_ptr<Subscription> subscription;
};

class PyScheduler {
 public:
  PyScheduler(std::shared_ptr<Scheduler> scheduler, std::string location_text);
  ~PyScheduler();
  PyScheduler(const PyScheduler&) = delete;
  PyScheduler& operator=(const PyScheduler&) = delete;

  // The core scheduler; raises cuttle.Error if closed. A copy, so a concurrent close()
  // from another Python thread cannot pull it away during a call.
  std::shared_ptr<Scheduler> get() const;
  bool closed() const { return scheduler_ == nullptr; }
  const std::string& location_text() const { return location_text_; }
  const std::string& adaptor_name() const { return adaptor_name_; }
  void close();

  std::shared_ptr<SubscriptionSlot> add_subscription(std::shared_ptr<Subscription> subscription);

 private:
  std::shared_ptr<Scheduler> scheduler_;
  std::string location_text_;
  std::string adaptor_name_;
  std::vector<std::weak_ptr<SubscriptionSlot>> subscriptions_;
};

// A submitted job: its id and the Python Scheduler it lives on (kept alive by the Job).
struct PyJob {
  py::object scheduler;  // a cuttle.Scheduler
  std::string id;
};

// The job id in `job`: a cuttle.Job or a str.
std::string job_id_of(py::handle job);

// Waits in slices of at most `kWaitSlice` with the GIL released, checking for signals
// (Ctrl-C) between slices. nullopt waits forever. Returns the latest status.
inline constexpr std::chrono::milliseconds kWaitSlice{50};
JobStatus wait_sliced(const std::shared_ptr<Scheduler>& scheduler, const std::string& id,
                      std::optional<std::chrono::milliseconds> timeout, bool until_done);

}  // namespace cuttle::python
