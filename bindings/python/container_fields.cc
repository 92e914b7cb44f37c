// The container fields of cuttle.JobDescription, flat as a Python user writes them:
// image (the same field as container_image), container_runtime, mounts, network,
// container_user. Validation is the core's (JobDescription.validate() and submit).
#include <pybind11/stl.h>

#include "bindings/python/bindings.h"
#include "cuttle/container.h"
#include "cuttle/error.h"
#include "cuttle/job_description.h"

namespace cuttle::python {
namespace py = pybind11;
namespace {

// A mount from Python: "HOST:CONTAINER", "HOST", or a (host, container) pair.
ContainerMount to_mount(py::handle item) {
  if (PyUnicode_Check(item.ptr())) return parse_container_mount(item.cast<std::string>());
  auto pair = item.cast<std::vector<std::string>>();
  if (pair.size() != 2)
    throw py::type_error("mounts entries are (host_path, container_path) pairs");
  return {pair[0], pair[1]};
}

}  // namespace

void bind_container_fields(py::class_<JobDescription>& description) {
  description
      .def_readwrite("image", &JobDescription::container_image,
                     "The container image (the same field as container_image); '' for none.")
      .def_property(
          "container_runtime",
          [](const JobDescription& d) { return std::string(to_string(d.container.runtime)); },
          [](JobDescription& d, const std::string& name) {
            d.container.runtime = parse_container_runtime(name);
          },
          "'auto' (default), 'podman', 'docker', 'apptainer', 'singularity' or 'charliecloud'.")
      .def_property(
          "mounts",
          [](const JobDescription& d) {
            py::list mounts;
            for (const ContainerMount& m : d.container.mounts) {
              mounts.append(py::make_tuple(m.host_path, m.container_path));
            }
            return mounts;
          },
          [](JobDescription& d, py::handle list) {
            if (PyUnicode_Check(list.ptr()))
              throw py::type_error("mounts must be a list, not a str");
            std::vector<ContainerMount> mounts;
            for (py::handle item : py::iter(list)) mounts.push_back(to_mount(item));
            d.container.mounts = std::move(mounts);
          },
          "Read-only mounts: (host_path, container_path) pairs or 'HOST:CONTAINER' strings.")
      .def_property(
          "network", [](const JobDescription& d) { return d.container.network; },
          [](JobDescription& d, std::optional<bool> on) { d.container.network = on; },
          "None: off where the runtime can isolate it; False: off (or an error); True: on.")
      .def_property(
          "container_user", [](const JobDescription& d) { return d.container.user; },
          [](JobDescription& d, const std::string& user) { d.container.user = user; },
          "User inside the container: NAME, UID or UID:GID; '' for the runtime's default.");
}

}  // namespace cuttle::python
