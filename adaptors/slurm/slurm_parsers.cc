// Slurm output parsers.
#include "adaptors/slurm/slurm_parsers.h"

#include "adaptors/batch/text.h"
#include "adaptors/slurm/slurm_states.h"
#include "cuttle/error.h"
#include "internal/job_markers.h"

namespace cuttle::detail::slurm {

const char* const kSqueueFormat = "%i\x1f%T\x1f%r\x1f%V\x1f%S\x1f%e\x1f%l\x1f%P\x1f%j";
const char* const kSacctFormat =
    "JobID,State,ExitCode,Submit,Start,End,Timelimit,Partition,JobName";
const char* const kSinfoFormat = "%P\x1f%a\x1f%l\x1f%D\x1f%F";

namespace {

// Fills state, reason and times from the native state word; the times Slurm prints
// for a job that has not started (expected start) or not ended (expected end) are
// dropped.
void apply_state(NativeJob& job, std::string_view native, std::string_view reason,
                 std::string_view start, std::string_view end) {
  job.native_state = std::string(native.substr(0, native.find(' ')));
  const auto mapping = map_state(native);
  if (mapping) {
    job.state = mapping->state;
    job.exit_code_from_marker = mapping->exit_code_from_marker;
    if (mapping->state == JobState::kCompleted) job.exit_code = 0;
  }
  // Pending for ever, or cancelled by --kill-on-invalid-dep: either way the job never runs.
  if (reason == "DependencyNeverSatisfied" && job.state &&
      (*job.state == JobState::kQueued || *job.state == JobState::kCancelled)) {
    job.state = JobState::kError;
    job.dependency_never_satisfied = true;
    job.reason = kDependencyNeverSatisfied;
    job.info["reason"] = std::string(reason);
    job.finished = parse_local_timestamp(end);
    return;
  }
  const bool has_reason = !reason.empty() && reason != "None" && reason != "(null)";
  if (has_reason) {
    job.info["reason"] = std::string(reason);
    // A final job keeps whatever reason it last had ("Resources" on a cancelled
    // pending job): say what the state means first.
    job.reason = mapping && is_final(mapping->state)
                     ? std::string(mapping->meaning) + " (" + std::string(reason) + ")"
                     : std::string(reason);
  } else if (mapping) {
    job.reason = std::string(mapping->meaning);
  } else {
    job.reason = "unknown Slurm state " + job.native_state;
  }
  if (job.state && *job.state != JobState::kQueued) job.started = parse_local_timestamp(start);
  if (job.state && is_final(*job.state)) job.finished = parse_local_timestamp(end);
}

// squeue (kSqueueFormat) and sacct (kSacctFormat) print the same columns but the third:
// id, state, -, submitted, start, end, time limit, partition, name.
NativeJob job_from_row(const std::vector<std::string_view>& f, std::string_view reason) {
  NativeJob job;
  job.id = std::string(trim(f[0]));
  apply_state(job, trim(f[1]), reason, f[4], f[5]);
  job.submitted = parse_local_timestamp(f[3]);
  job.time_limit = parse_duration_clock(f[6]);
  job.queue = std::string(trim(f[7]));
  job.name = std::string(f[8]);
  return job;
}

}  // namespace

std::string parse_sbatch(std::string_view output) {
  for (std::string_view line : split_lines(output)) {
    std::string_view id = trim(line.substr(0, line.find(';')));
    if (!id.empty() && id.find_first_not_of("0123456789_") == std::string_view::npos) {
      return std::string(id);
    }
  }
  throw InternalError("sbatch printed no job id: " + std::string(output.substr(0, 200)));
}

std::vector<NativeJob> parse_squeue(std::string_view output) {
  std::vector<NativeJob> jobs;
  for (std::string_view line : split_lines(output)) {
    auto f = split_fields(line, kSeparator, 9);
    if (!f) continue;  // a line that is not ours (a warning on stdout)
    NativeJob job = job_from_row(*f, trim((*f)[2]));
    if (!job.id.empty()) jobs.push_back(std::move(job));
  }
  return jobs;
}

std::optional<int> parse_exit_code(std::string_view text) {
  std::size_t colon = text.find(':');
  auto code = parse_int(text.substr(0, colon));
  if (!code) return std::nullopt;
  if (colon != std::string_view::npos) {
    auto signal = parse_int(text.substr(colon + 1));
    if (signal && *signal > 0) return 128 + *signal;
  }
  return code;
}

std::vector<NativeJob> parse_sacct(std::string_view output) {
  std::vector<NativeJob> jobs;
  for (std::string_view line : split_lines(output)) {
    auto f = split_fields(line, kSeparator, 9);
    if (!f) continue;
    NativeJob job = job_from_row(*f, {});
    job.exit_code = parse_exit_code(trim((*f)[2]));
    // Accounting prints the true exit code: no marker needed.
    job.exit_code_from_marker = job.exit_code_from_marker && !job.exit_code;
    job.info["source"] = "sacct";
    if (!job.id.empty()) jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<QueueInfo> parse_sinfo(std::string_view output) {
  std::vector<QueueInfo> queues;
  for (std::string_view line : split_lines(output)) {
    auto f = split_fields(line, kSeparator, 5);
    if (!f) continue;
    QueueInfo q;
    std::string_view name = trim((*f)[0]);
    if (!name.empty() && name.back() == '*') {
      q.is_default = true;
      name.remove_suffix(1);
    }
    q.name = std::string(name);
    q.state = std::string(trim((*f)[1]));
    q.info["time_limit"] = std::string(trim((*f)[2]));
    q.info["nodes"] = std::string(trim((*f)[3]));
    q.info["nodes_allocated_idle_other_total"] = std::string(trim((*f)[4]));
    bool seen = false;
    for (const QueueInfo& existing : queues) seen = seen || existing.name == q.name;
    if (!seen && !q.name.empty()) queues.push_back(std::move(q));
  }
  return queues;
}

}  // namespace cuttle::detail::slurm
