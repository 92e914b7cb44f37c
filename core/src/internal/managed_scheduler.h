// The decorator open_scheduler() wraps around every adaptor, so that retry limits and
// time allocations behave the same everywhere, written once:
//  - an attempt that ends Failed or Error is resubmitted up to retry_limit times; the
//    id the caller holds stays the same, status().attempt counts, .attempts keeps the
//    history of earlier attempts;
//  - max_runtime: where the adaptor lacks capabilities().native_time_limit, a timer on
//    the shared event loop cancels the job at its deadline and reports it Expired;
//  - extend(): the adaptor's own extend where it has one, else the timer moves.
// Thread-safety: as Scheduler.
#pragma once

#include <memory>

#include "cuttle/scheduler.h"

namespace cuttle::detail {

std::shared_ptr<Scheduler> make_managed_scheduler(std::shared_ptr<Scheduler> adaptor);

}  // namespace cuttle::detail
