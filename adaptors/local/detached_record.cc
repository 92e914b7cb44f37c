// Reading and writing the marker files of detached local jobs with plain POSIX calls
// (one open+read per file; re-attaching to many jobs stays cheap).
#include "adaptors/local/detached_record.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "adaptors/local/process.h"
#include "cuttle/file_system.h"
#include "internal/dependency_wait.h"
#include "internal/stage_out_plan.h"

namespace cuttle::detail::local {
namespace {

std::optional<long long> parse_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || errno != 0) return std::nullopt;
  return value;
}

std::optional<TimePoint> marker_mtime(const std::string& sandbox, const char* name) {
  struct stat info;
  if (::stat(marker_path(sandbox, name).c_str(), &info) != 0) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<Clock::duration>(
      std::chrono::seconds(info.st_mtim.tv_sec) + std::chrono::nanoseconds(info.st_mtim.tv_nsec)));
}

std::string_view first_line(std::string_view text) { return text.substr(0, text.find('\n')); }

}  // namespace

std::string submitter_record() {
  const pid_t self = ::getpid();
  return std::to_string(self) + " " + std::to_string(process_start_time(self).value_or(0));
}

bool never_started(const std::string& sandbox) {
  const DetachedRecord record = read_record(sandbox);
  if (!record.exists || record.pid || record.markers.exit_code || record.markers.cancelled) {
    return false;
  }
  // Older sandboxes have no submitter marker: nothing to decide from, so not ours to remove.
  const std::string submitter = read_marker(sandbox, kSubmitterMarker);
  const auto space = submitter.find(' ');
  if (space == std::string::npos) return false;
  const auto pid = parse_number(submitter.substr(0, space));
  const auto ticks = parse_number(submitter.substr(space + 1));
  if (!pid || !ticks) return false;
  const auto now = process_start_time(static_cast<pid_t>(*pid));
  if (now && static_cast<long long>(*now) == *ticks) return false;  // still submitting
  // The submitter died; it may have spawned the wrapper just before (no pid marker yet).
  return !process_running({"/bin/sh", marker_path(sandbox, "wrapper.sh")});
}

std::string marker_path(const std::string& sandbox, const char* name) {
  return sandbox + "/" + kMarkerDir + "/" + name;
}

std::string read_marker(const std::string& sandbox, const char* name) {
  int fd = ::open(marker_path(sandbox, name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

void write_marker(const std::string& sandbox, const char* name, const std::string& content) {
  LocalFileSystem().write_file(marker_path(sandbox, name), content);
}

DetachedRecord read_record(const std::string& sandbox) {
  DetachedRecord record;
  struct stat info;
  if (::stat((sandbox + "/" + kMarkerDir).c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return record;
  }
  record.exists = true;
  record.markers.exists = true;
  if (auto exit = parse_exit_marker(read_marker(sandbox, "exit"))) {
    record.markers.exit_code = exit->code;
    record.markers.cause = exit->cause;
  }
  if (::access(marker_path(sandbox, "cancelled").c_str(), F_OK) == 0) {
    record.markers.cancelled = true;
  }
  if (record.markers.exit_code.value_or(0) != 0) {
    // Only a failed job's record can hold a container runtime's or a launch's own failure.
    record.markers.container = std::string(first_line(read_marker(sandbox, "container")));
    record.markers.container_error = std::string(first_line(read_marker(sandbox, "container_err")));
    record.markers.launch_error = std::string(first_line(read_marker(sandbox, "launch_err")));
  }
  record.markers.step_exit_codes = parse_steps_marker(read_marker(sandbox, "steps"));
  record.markers.waiting = ::access(marker_path(sandbox, kWaitingMarker).c_str(), F_OK) == 0;
  // The wrapper writes no clock readings (a `date` per job costs a process): a marker's
  // mtime is when it was written.
  record.markers.started = marker_mtime(sandbox, "pid");
  if (record.markers.exit_code) record.markers.finished = marker_mtime(sandbox, "exit");
  const std::string spawn = read_marker(sandbox, "pid.start");
  auto space = spawn.find(' ');
  if (space != std::string::npos) {
    auto pid = parse_number(spawn.substr(0, space));
    auto ticks = parse_number(spawn.substr(space + 1));
    if (pid && ticks && *pid > 0 && *ticks >= 0) {
      record.pid = static_cast<pid_t>(*pid);
      record.markers.pid = static_cast<long>(*pid);
      record.start_ticks = static_cast<std::uint64_t>(*ticks);
    }
  }
  record.has_stage_out = ::access(marker_path(sandbox, kStageOutPlanFile).c_str(), F_OK) == 0;
  record.staged_out = ::access(marker_path(sandbox, "staged_out").c_str(), F_OK) == 0;
  record.markers.staged_out = record.staged_out;
  return record;
}

bool wrapper_alive(const DetachedRecord& record) {
  if (!record.pid || !record.start_ticks) return false;
  auto ticks = process_start_time(*record.pid);
  return ticks && *ticks == *record.start_ticks;
}

}  // namespace cuttle::detail::local
