// Process primitives of the local adaptor: posix_spawn into a new process group or
// session, pidfd_open, reaping, and the /proc start time that tells a live process from
// a reused pid. The only file of the adaptor that makes process-creation syscalls.
// Thread-safety: free functions, safe from any thread; Environment is immutable once built.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cuttle::detail::local {

// An envp for posix_spawn: the inherited environment (captured once) with a job's
// additions. A job without additions passes the captured one without copying anything.
class Environment {
 public:
  // Captures `environ` of this process now.
  static const Environment& inherited();
  // The inherited variables plus `additions` (which replace inherited ones of that name).
  Environment with(const std::map<std::string, std::string>& additions) const;
  char* const* envp() const { return pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;  // into storage_, NULL-terminated
  void rebuild_pointers();
};

struct SpawnSpec {
  std::string executable;          // looked up in PATH when it holds no '/'
  std::vector<std::string> argv;   // argv[0] first
  const Environment* environment;  // REQUIRES: not null
  std::string working_directory;   // empty: this process's
  std::string stdin_path;          // empty: /dev/null
  std::string stdout_path;         // empty: inherited from this process
  std::string stderr_path;         // empty: inherited from this process
  bool new_session = false;        // setsid (survives this process) instead of setpgid
};

// Starts the process; its pid is also its process group id. Returns -errno on failure.
// The child gets descriptors 0, 1 and 2 only. While fewer than 1024 jobs are watched the calling
// thread spawns; past that, a thread with its own small descriptor table does (a spawn
// copies and closes the spawning table, which holds one pidfd per running job, so
// spawning there would cost O(running jobs) each).
pid_t spawn_process(const SpawnSpec& spec);

// Counts the pidfds this process holds for watched jobs (drives the choice above).
void note_pidfd_opened();
void note_pidfd_closed();

// A pidfd for `pid` (close-on-exec), or -1 with errno set.
int open_pidfd(pid_t pid);

// How a reaped child ended.
struct ExitInfo {
  int exit_code = 0;          // 128+N when killed by signal N
  std::optional<int> signal;  // N when killed by a signal
};

// Reaps the child behind `pidfd` without blocking; nullopt while it still runs.
// Throws nothing: a child that cannot be reaped (e.g. SIGCHLD ignored) reports exit 255.
std::optional<ExitInfo> try_reap(int pidfd);

// Field 22 of /proc/<pid>/stat (clock ticks since boot); nullopt when there is no such
// process or it is a zombie.
std::optional<std::uint64_t> process_start_time(pid_t pid);

// True when some process of this host runs `argv` exactly (its /proc/PID/cmdline).
bool process_running(const std::vector<std::string>& argv);

// "SIGTERM" or "signal 42".
std::string signal_name(int signal);

}  // namespace cuttle::detail::local
