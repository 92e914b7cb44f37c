// Job arrays for adaptors without a native form (capabilities().native_arrays false:
// local, ssh, kubernetes). open_scheduler() puts this decorator outside the managed one;
// it gives an array job an id of its own (a job key), submits each element as an ordinary
// job of the adaptor with CUTTLE_ARRAY_INDEX in its environment, at most `throttle` at a
// time (the next when one ends), and publishes each element as "ID[INDEX]" and the array
// as the aggregate of its elements (cuttle/job_array.h). Every other job passes through.
// The throttle is held by this process: elements not started when it exits never start,
// and another process does not know the array id (docs/arrays.md).
// Thread-safety: as Scheduler.
#pragma once

#include <memory>

#include "cuttle/scheduler.h"

namespace cuttle::detail {

// `managed` is the decorated adaptor; returned as is when the adaptor has native arrays.
std::shared_ptr<Scheduler> make_array_emulation(std::shared_ptr<Scheduler> managed);

}  // namespace cuttle::detail
