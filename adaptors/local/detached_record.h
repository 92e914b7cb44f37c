// The on-disk record of a detached local job: its sandbox directory under the root,
// holding the wrapper's markers (internal/wrapper_script.h) plus what this adaptor adds
// (.cuttle/pid.start: "<pid> <start ticks>" written at submit; .cuttle/stage_out: the
// stage-out plan of internal/stage_out_plan.h; .cuttle/staged_out: written once output was copied
// back). Any process re-attaches to a job by reading it. Thread-safety: free functions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cuttle/job_description.h"
#include "internal/job_key.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail::local {

// True for ids new_job_key() makes ("c" + 20 lower-case hex): the only names ever

struct DetachedRecord {
  bool exists = false;  // root/<id>/.cuttle exists
  MarkerState markers;  // exit, cancelled, started, finished
  std::optional<pid_t> pid;
  std::optional<std::uint64_t> start_ticks;
  bool has_stage_out = false;
  bool staged_out = false;
};

// "PID START_TICKS" of the process that submits a detached job, written with the sandbox.
inline constexpr const char* kSubmitterMarker = "submitter";
std::string submitter_record();  // this process's

std::string marker_path(const std::string& sandbox, const char* name);
DetachedRecord read_record(const std::string& sandbox);
// True when the recorded wrapper process is still the one we started (pid and start
// time both match), so a reused pid is never mistaken for the job.
bool wrapper_alive(const DetachedRecord& record);
// A sandbox whose wrapper never started (no pid, exit or cancelled marker), whose
// submitter is gone and whose wrapper (`/bin/sh WRAPPER`) runs nowhere on this host:
// its submit was interrupted, and no job will ever run in it.
bool never_started(const std::string& sandbox);

// Small files: written atomically (temporary + rename) or read whole; "" when absent.
void write_marker(const std::string& sandbox, const char* name, const std::string& content);
std::string read_marker(const std::string& sandbox, const char* name);

}  // namespace cuttle::detail::local
