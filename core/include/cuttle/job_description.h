// What to run: a plain value type. Adaptors never modify the caller's copy.
// Thread-safety: value type; validate() is const.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuttle/container.h"

namespace cuttle {

// One file to copy. For stage-in, `source` is a path on the submitting machine and
// `destination` is relative to the job's sandbox; for stage-out, `source` is relative
// to the sandbox and `destination` is a path on the submitting machine. An empty
// destination means "the same relative name" (stage-in) or "the file name in the
// current directory" (stage-out).
struct StagingEntry {
  std::string source;
  std::string destination;
  bool operator==(const StagingEntry&) const = default;
};

struct JobDescription {
  std::string name;  // informational; batch adaptors put it in the job name
  std::string executable;
  std::vector<std::string> arguments;
  std::map<std::string, std::string> environment;  // added to the inherited environment
  std::string working_directory;  // empty: the job's sandbox (or the current directory)
  std::string stdin_path;         // empty: /dev/null
  std::string stdout_path;        // relative paths are relative to the working directory
  std::string stderr_path;
  std::string queue;                                // empty: the scheduler's default queue
  std::optional<std::chrono::seconds> max_runtime;  // the time allocation
  std::optional<int> nodes;
  std::optional<int> tasks;
  std::optional<int> cores_per_task;
  std::optional<std::uint64_t> memory_bytes;  // per node
  // Resources and placement (docs/resources.md). An adaptor that cannot honour one that
  // is set refuses the job with Unsupported naming it (Capabilities says which it takes).
  std::optional<int> gpus;                       // GPUs per node
  std::string gpu_type;                          // e.g. "a100"; empty: any type. Needs gpus.
  std::string account;                           // the account (project) the job is charged to
  std::string qos;                               // quality of service
  std::string reservation;                       // an advance reservation to run in
  std::vector<std::string> constraints;          // node features, every one required
  bool exclusive_nodes = false;                  // no other job shares the job's nodes
  std::vector<std::string> scheduler_arguments;  // validated pass-through (batch adaptors)
  std::string container_image;                   // empty: no container (docs/containers.md)
  ContainerOptions container;                    // only with container_image
  std::vector<StagingEntry> stage_in;
  std::vector<StagingEntry> stage_out;
  int retry_limit = 0;  // how many times a Failed or Error attempt is resubmitted
  std::map<std::string, std::string> labels;

  // Throws InvalidJobDescription naming the first offending field: empty executable,
  // NUL bytes anywhere, environment names that are not [A-Za-z_][A-Za-z0-9_]*,
  // negative or zero counts, negative retry limit, non-positive max runtime,
  // newlines in scheduler arguments, staging paths that are empty, hostile image
  // references, mounts or users, container options without an image, a gpu_type without
  // gpus, GPU types and node features outside [A-Za-z0-9_.-], account/qos/reservation
  // with whitespace or control characters.
  void validate() const;

  bool operator==(const JobDescription&) const = default;
};

}  // namespace cuttle
