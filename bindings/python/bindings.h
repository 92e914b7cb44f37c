// The parts of the native module cuttle._cuttle, each bound by one function, called in
// this order by module.cc. Thread-safety: called once, at import, with the GIL held.
#pragma once

#include <pybind11/pybind11.h>

#include "cuttle/job_description.h"
#include "cuttle/job_status.h"

namespace cuttle::python {

void bind_errors(pybind11::module_& module);     // errors.cc
void bind_model(pybind11::module_& module);      // model.cc: value types, adaptors()
void bind_scheduler(pybind11::module_& module);  // scheduler.cc: Scheduler, Job, Subscription
void bind_tracker(pybind11::module_& module);    // tracker.cc: Tracker, TrackedChange
// container_fields.cc, called by bind_model: image, container_runtime, mounts, network...
void bind_container_fields(pybind11::class_<JobDescription>& description);
// step_fields.cc, called by bind_model: cuttle.JobStep and JobDescription.steps.
void bind_steps(pybind11::module_& module, pybind11::class_<JobDescription>& description);
// array_fields.cc, called by bind_model: JobDescription.array, JobStatus.array_elements.
void bind_arrays(pybind11::module_& module, pybind11::class_<JobDescription>& description,
                 pybind11::class_<JobStatus>& status);

}  // namespace cuttle::python
