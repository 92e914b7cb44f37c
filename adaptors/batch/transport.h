// Where a batch adaptor's commands and files go: this machine for "slurm://", another
// host over SSH for "slurm+ssh://host" (adaptors/ssh/remote.h), and the descriptor
// plumbing every batch adaptor shares (properties, factory).
// Thread-safety: pure functions; the results are thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "adaptors/batch/batch_scheduler.h"
#include "cuttle/credential.h"
#include "cuttle/location.h"
#include "cuttle/registry.h"

namespace cuttle::detail {

struct Transport {
  std::shared_ptr<CommandRunner> runner;
  std::shared_ptr<FileSystem> files;
};

// LocalRunner + LocalFileSystem when location.transport is empty (the location must
// then name no host), the pooled SSH session when it is "ssh". InvalidArgument else.
Transport open_transport(const Location& location, const Properties& properties,
                         const Credential& credential);

// The batch properties plus the SSH ones.
std::vector<PropertyDescriptor> batch_adaptor_properties();

// A descriptor whose factory builds a BatchScheduler with a fresh dialect from `make`.
AdaptorDescriptor batch_adaptor_descriptor(
    std::string name, std::string description, Capabilities capabilities,
    std::function<std::unique_ptr<BatchDialect>(const Properties&)> make);

}  // namespace cuttle::detail
