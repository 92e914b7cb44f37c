// Property declarations that more than one adaptor accepts, declared once so their names,
// defaults and meaning cannot drift apart, and the parsing of their values.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>

#include "cuttle/properties.h"
#include "cuttle/sandbox.h"

namespace cuttle::detail {

// "cleanup": never | on-success | always (default never). on-success means the job
// ended Completed and its stage-out had no problem; the finish step applies it.
PropertyDescriptor cleanup_property();
// "cancel.grace" (default 5s): how long a TERMed job (cancel, max_runtime, or a TERM from
// outside) has before its wrapper KILLs its process group.
PropertyDescriptor cancel_grace_property();
// "lost.grace" (default 60s): how long a job may be missing from every source (queue,
// accounting, markers, a live wrapper) before it is reported Error with reason "lost".
PropertyDescriptor lost_grace_property();
// "sandbox.root": where job sandboxes live; the default and its explanation differ by
// adaptor (this machine, the remote home, the cluster).
PropertyDescriptor sandbox_root_property(std::string default_value, std::string help);

CleanupPolicy cleanup_from(const Properties& properties);
// Whole seconds (rounded up): the wrapper's escalation sleeps in seconds.
std::chrono::seconds cancel_grace_from(const Properties& properties);
std::chrono::milliseconds lost_grace_from(const Properties& properties);

}  // namespace cuttle::detail
