// posix_spawn, pidfd and /proc helpers of the local adaptor.
#include "adaptors/local/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>

extern char** environ;

namespace cuttle::detail::local {
namespace {

std::string_view name_of(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// posix_spawn attributes and file actions, released on every path out.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  int configure(const SpawnSpec& spec) {
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    flags |= spec.new_session ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP;
    int rc = posix_spawnattr_setflags(&attr_, flags);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attr_, 0);
    // The submitting thread may block signals (an event loop thread often does) or ignore
    // SIGPIPE (Python does); a job must start with the defaults.
    sigset_t none;
    sigemptyset(&none);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr_, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGQUIT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGCHLD);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr_, &defaults);
    // Only 0, 1 and 2 reach the job, whatever else this process has open.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    // chdir first, so that relative redirections are relative to the working directory.
    if (rc == 0 && !spec.working_directory.empty()) {
      rc = posix_spawn_file_actions_addchdir_np(&actions_, spec.working_directory.c_str());
    }
    const char* in = spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path.c_str();
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions_, 0, in, O_RDONLY, 0);
    const int out_flags = O_WRONLY | O_CREAT | O_TRUNC;
    if (rc == 0 && !spec.stdout_path.empty()) {
      rc =
          posix_spawn_file_actions_addopen(&actions_, 1, spec.stdout_path.c_str(), out_flags, 0644);
    }
    if (rc == 0 && !spec.stderr_path.empty()) {
      rc =
          posix_spawn_file_actions_addopen(&actions_, 2, spec.stderr_path.c_str(), out_flags, 0644);
    }
    return rc;
  }

  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

pid_t spawn_here(const SpawnSpec& spec) {
  SpawnSetup setup;
  int rc = setup.configure(spec);
  if (rc != 0) return -rc;
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const bool search = spec.executable.find('/') == std::string::npos;
  rc = (search ? posix_spawnp : posix_spawn)(&pid, spec.executable.c_str(), setup.actions(),
                                             setup.attr(), argv.data(), spec.environment->envp());
  return rc == 0 ? pid : -rc;
}

// Past this many watched jobs, spawns move to the Spawner thread.
constexpr int kDirectSpawnLimit = 1024;
std::atomic<int> g_open_pidfds{0};

// A thread whose descriptor table is private and holds only 0, 1 and 2: children copy
// and close nothing else. Spawns are handed over one at a time; the caller waits.
class Spawner {
 public:
  Spawner() {
    std::thread([this] { loop(); }).detach();
  }

  pid_t spawn(const SpawnSpec& spec) {
    Request request{&spec};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(&request);
    }
    wake_.notify_one();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return request.done; });
    return request.result;
  }

 private:
  struct Request {
    const SpawnSpec* spec;
    pid_t result = -EAGAIN;
    bool done = false;
  };

  void loop() {
    // Closing is only safe once the table is this thread's own copy.
    if (::unshare(CLONE_FILES) == 0) ::syscall(SYS_close_range, 3u, ~0u, 0u);
    for (;;) {
      Request* request;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return !queue_.empty(); });
        request = queue_.front();
        queue_.pop_front();
      }
      pid_t pid = spawn_here(*request->spec);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        request->result = pid;
        request->done = true;
      }
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<Request*> queue_;
};

}  // namespace

void note_pidfd_opened() { g_open_pidfds.fetch_add(1, std::memory_order_relaxed); }
void note_pidfd_closed() { g_open_pidfds.fetch_sub(1, std::memory_order_relaxed); }

const Environment& Environment::inherited() {
  static const Environment captured = [] {
    Environment e;
    for (char** p = environ; p && *p; ++p) e.storage_.emplace_back(*p);
    e.rebuild_pointers();
    return e;
  }();
  return captured;
}

Environment Environment::with(const std::map<std::string, std::string>& additions) const {
  Environment e;
  e.storage_.reserve(storage_.size() + additions.size());
  for (const auto& entry : storage_) {
    auto name = name_of(entry);
    bool replaced = false;
    for (const auto& [key, value] : additions) {
      if (key == name) {
        replaced = true;
        break;
      }
    }
    if (!replaced) e.storage_.push_back(entry);
  }
  for (const auto& [key, value] : additions) e.storage_.push_back(key + "=" + value);
  e.rebuild_pointers();
  return e;
}

void Environment::rebuild_pointers() {
  pointers_.clear();
  pointers_.reserve(storage_.size() + 1);
  for (auto& entry : storage_) pointers_.push_back(entry.data());
  pointers_.push_back(nullptr);
}

pid_t spawn_process(const SpawnSpec& spec) {
  if (g_open_pidfds.load(std::memory_order_relaxed) < kDirectSpawnLimit) return spawn_here(spec);
  // Never destroyed: its detached thread may still use it while the process exits.
  static Spawner* spawner = new Spawner;
  return spawner->spawn(spec);
}

int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

std::optional<ExitInfo> try_reap(int pidfd) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  int rc;
  do {
    rc = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ExitInfo{255, std::nullopt};
  if (info.si_pid == 0) return std::nullopt;
  if (info.si_code == CLD_EXITED) return ExitInfo{info.si_status, std::nullopt};
  return ExitInfo{128 + info.si_status, info.si_status};
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buffer[1024];
  ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  std::string_view text(buffer, static_cast<std::size_t>(n));
  // The command name (field 2) is in parentheses and may hold spaces and ')'.
  auto close = text.rfind(')');
  if (close == std::string_view::npos || close + 2 >= text.size()) return std::nullopt;
  text.remove_prefix(close + 2);
  if (text.front() == 'Z' || text.front() == 'X') return std::nullopt;
  // text now starts at field 3 (state); the start time is field 22.
  for (int field = 3; field < 22; ++field) {
    auto space = text.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    text.remove_prefix(space + 1);
  }
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') break;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

bool process_running(const std::vector<std::string>& argv) {
  std::string wanted;
  for (const std::string& arg : argv) wanted.append(arg).push_back('\0');
  DIR* proc = ::opendir("/proc");
  if (!proc) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    const std::string path = std::string("/proc/") + entry->d_name + "/cmdline";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string cmdline(wanted.size() + 1, '\0');
    const ssize_t n = ::read(fd, cmdline.data(), cmdline.size());
    ::close(fd);
    if (n == static_cast<ssize_t>(wanted.size()) &&
        cmdline.compare(0, wanted.size(), wanted) == 0) {
      found = true;
      break;
    }
  }
  ::closedir(proc);
  return found;
}

std::string signal_name(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace cuttle::detail::local
