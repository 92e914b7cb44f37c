// The record LocalScheduler keeps per job, shared by the files that implement it
// (local_scheduler.cc, local_exits.cc, local_reattach.cc).
// Thread-safety: fields marked guarded are guarded by LocalScheduler::mutex_; the pidfd
// and kill timer belong to the event loop thread once the job is watched.
#pragma once

#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>

#include "adaptors/local/local_scheduler.h"
#include "cuttle/sandbox.h"

namespace cuttle::detail::local {

struct LocalScheduler::Job {
  std::string id;
  std::string name;
  bool detached = false;
  bool child = true;           // our child, reaped here (false: re-attached)
  JobDescription description;  // trimmed to stage_out once started
  std::unique_ptr<Sandbox> sandbox;
  std::optional<Environment> environment;  // only when the job adds variables
  std::string wrapper;                     // detached: the wrapper script's path
  TimePoint submitted;
  std::optional<TimePoint> started;
  // Guarded by LocalScheduler::mutex_.
  pid_t pid = -1;
  std::uint64_t start_ticks = 0;
  bool holds_slot = false;
  bool queued = false;
  bool cancel_requested = false;
  bool concluded = false;  // a final state is being or has been published
  bool watching = false;
  std::atomic<bool> exited{false};
  // Event loop thread only, once watching.
  std::unique_ptr<boost::asio::posix::stream_descriptor> pidfd;
  std::unique_ptr<boost::asio::steady_timer> kill_timer;
};

}  // namespace cuttle::detail::local
