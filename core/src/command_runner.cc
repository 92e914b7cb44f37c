// LocalRunner: posix_spawnp with three pipes drained by poll(), so a child that writes
// megabytes to both streams while we are still feeding its stdin never deadlocks.
// (~450 lines: spawning, the poll loop over three pipes, the timeout kill and the error
// mapping are one state machine around one child.)
#include "cuttle/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

#include "cuttle/error.h"
#include "internal/side_thread.h"

extern char** environ;

namespace cuttle {
namespace {

using SteadyClock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

[[noreturn]] void throw_system(const std::string& what, int err) {
  throw InternalError(what + ": " + std::strerror(err));
}

// A process started with a standard stream closed (a daemon) hands out 0, 1 or 2 for our
// pipes; the child's dup2 onto 0/1/2 would then overwrite one pipe end with another.
Fd above_standard_streams(Fd fd) {
  if (fd.get() > STDERR_FILENO) {
    return fd;
  }
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) {
    throw_system("fcntl", errno);
  }
  return Fd(moved);
}

Pipe make_pipe() {
  int fds[2];
  // O_CLOEXEC: a concurrent spawn on another thread must not inherit our ends.
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw_system("pipe2", errno);
  }
  return Pipe{above_standard_streams(Fd(fds[0])), above_standard_streams(Fd(fds[1]))};
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    throw_system("fcntl", errno);
  }
}

// Blocks SIGPIPE on this thread while writing to a child that may already have exited,
// and swallows a SIGPIPE that our own write raised, so the process is never killed by it.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_);
  }
  ~SigpipeGuard() {
    if (raised_ && !was_pending_) {
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_set_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  void note_raised() { raised_ = true; }

 private:
  sigset_t pipe_set_;
  sigset_t old_;
  bool was_pending_ = false;
  bool raised_ = false;
};

class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnAttributes() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  // The child gets its own process group (so a timeout kills everything it started),
  // an empty signal mask and default dispositions, whatever the caller's thread has.
  void configure(int stdin_fd, int stdout_fd, int stderr_fd) {
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr_, &empty);
    posix_spawnattr_setsigdefault(&attr_, &all);
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(
        &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_adddup2(&actions_, stdin_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions_, stdout_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions_, stderr_fd, STDERR_FILENO);
  }
  const posix_spawnattr_t* attr() const { return &attr_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

int exit_code_from_wait_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 255;
}

int wait_blocking(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw_system("waitpid", errno);
    }
  }
  return status;
}

// Like a shell: 127 when the command is not found, 126 when it cannot be executed.
CommandResult spawn_failure(const std::string& program, int err) {
  CommandResult result;
  result.exit_code = (err == ENOENT || err == ENOTDIR) ? 127 : 126;
  result.stderr_text = "cuttle: " + program + ": " +
                       (result.exit_code == 127 ? std::string("command not found")
                                                : std::string(std::strerror(err))) +
                       "\n";
  return result;
}

std::string describe_timeout(const std::vector<std::string>& argv, std::chrono::milliseconds ms) {
  return "command timed out after " + std::to_string(ms.count()) + " ms: " + argv.front();
}

class ChildIo {
 public:
  ChildIo(Pipe& in, Pipe& out, Pipe& err, std::string_view stdin_text) : stdin_text_(stdin_text) {
    stdin_ = std::move(in.write);
    stdout_ = std::move(out.read);
    stderr_ = std::move(err.read);
    if (stdin_text_.empty()) {
      stdin_.reset();
    } else {
      set_nonblocking(stdin_.get());
    }
    set_nonblocking(stdout_.get());
    set_nonblocking(stderr_.get());
  }

  // Returns false when the deadline passed before both output streams closed.
  bool drain(std::optional<SteadyClock::time_point> deadline, CommandResult& result) {
    SigpipeGuard sigpipe;
    while (stdout_.get() >= 0 || stderr_.get() >= 0) {
      pollfd fds[3];
      int n = 0;
      int in_index = -1, out_index = -1, err_index = -1;
      if (stdin_.get() >= 0) {
        in_index = n;
        fds[n++] = {stdin_.get(), POLLOUT, 0};
      }
      if (stdout_.get() >= 0) {
        out_index = n;
        fds[n++] = {stdout_.get(), POLLIN, 0};
      }
      if (stderr_.get() >= 0) {
        err_index = n;
        fds[n++] = {stderr_.get(), POLLIN, 0};
      }
      int wait_ms = -1;
      if (deadline) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - SteadyClock::now());
        if (left.count() <= 0) {
          return false;
        }
        wait_ms = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
      }
      int ready = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
      if (ready < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw_system("poll", errno);
      }
      if (in_index >= 0 && fds[in_index].revents != 0) {
        feed_stdin(sigpipe);
      }
      if (out_index >= 0 && fds[out_index].revents != 0) {
        read_into(stdout_, result.stdout_text);
      }
      if (err_index >= 0 && fds[err_index].revents != 0) {
        read_into(stderr_, result.stderr_text);
      }
    }
    // The child may close its output and keep running; honour the deadline there too.
    stdin_.reset();
    return true;
  }

 private:
  void feed_stdin(SigpipeGuard& sigpipe) {
    while (written_ < stdin_text_.size()) {
      ssize_t n = ::write(stdin_.get(), stdin_text_.data() + written_,
                          std::min<std::size_t>(stdin_text_.size() - written_, 1 << 16));
      if (n > 0) {
        written_ += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      }
      // EPIPE: the child does not read its input; that is its business, not an error.
      if (n < 0 && errno == EPIPE) {
        sigpipe.note_raised();
      }
      break;
    }
    stdin_.reset();
  }

  static void read_into(Fd& fd, std::string& out) {
    char buffer[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n > 0) {
        out.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      }
      fd.reset();  // end of stream or a read error: either way nothing more will come
      return;
    }
  }

  std::string_view stdin_text_;
  std::size_t written_ = 0;
  Fd stdin_;
  Fd stdout_;
  Fd stderr_;
};

// Waits for the child until the deadline; nullopt when it is still running then. A pidfd
// wakes us at the exit itself; sleeping between WNOHANG checks cost ~3 ms per command.
std::optional<int> wait_until(pid_t pid, SteadyClock::time_point deadline) {
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() >= 0) {
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      pollfd fd{pidfd.get(), POLLIN, 0};
      int ready = ::poll(&fd, 1, static_cast<int>(std::max<long long>(0, left.count())));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) return std::nullopt;
      break;
    }
  }
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return status;
    }
    if (r < 0 && errno != EINTR) {
      throw_system("waitpid", errno);
    }
    auto now = SteadyClock::now();
    if (now >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::min<SteadyClock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

void kill_group(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);  // in case the group could not be set up
}

}  // namespace

CommandResult CommandRunner::run_with_input(const std::vector<std::string>& argv,
                                            const std::function<std::string()>& input,
                                            const CommandOptions& options) {
  CommandOptions fed = options;
  fed.stdin_text = input();
  return run(argv, fed);
}

CommandResult LocalRunner::run(const std::vector<std::string>& argv,
                               const CommandOptions& options) {
  return spawn_and_wait(argv, options, {});
}

CommandResult LocalRunner::run_with_input(const std::vector<std::string>& argv,
                                          const std::function<std::string()>& input,
                                          const CommandOptions& options) {
  return spawn_and_wait(argv, options, input);
}

CommandResult LocalRunner::spawn_and_wait(const std::vector<std::string>& argv,
                                          const CommandOptions& options,
                                          const std::function<std::string()>& input) {
  if (argv.empty()) {
    throw InvalidArgument("cannot run an empty argv");
  }
  for (const std::string& arg : argv) {
    if (arg.find('\0') != std::string::npos) {
      throw InvalidArgument("argument contains a NUL byte: " + argv.front());
    }
  }
  Pipe in = make_pipe();
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  SpawnAttributes spawn;
  spawn.configure(in.read.get(), out.write.get(), err.write.get());

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], spawn.actions(), spawn.attr(), args.data(), environ);
  if (rc != 0) {
    return spawn_failure(argv.front(), rc);
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();

  std::optional<SteadyClock::time_point> deadline;
  CommandResult result;
  bool finished_output = false;
  try {
    // With `input`, the child starts up while it runs, on the side thread so that the two
    // do not share this thread's CPU (side_thread.h); the deadline starts after it.
    std::string late_input;
    if (input) detail::run_beside([&] { late_input = input(); });
    if (options.timeout) {
      deadline = SteadyClock::now() + *options.timeout;
    }
    ChildIo io(in, out, err, input ? late_input : options.stdin_text);
    finished_output = io.drain(deadline, result);
  } catch (...) {
    kill_group(pid);
    wait_blocking(pid);
    throw;
  }

  std::optional<int> status;
  if (finished_output) {
    status = deadline ? wait_until(pid, *deadline) : std::optional<int>(wait_blocking(pid));
  }
  if (!status) {
    kill_group(pid);
    wait_blocking(pid);
    throw Timeout(describe_timeout(argv, *options.timeout));
  }
  result.exit_code = exit_code_from_wait_status(*status);
  return result;
}

CommandResult run_checked(CommandRunner& runner, const std::vector<std::string>& argv,
                          const CommandOptions& options) {
  CommandResult result = runner.run(argv, options);
  if (result.exit_code != 0) {
    throw CommandFailed(argv, result.exit_code, result.stderr_text);
  }
  return result;
}

}  // namespace cuttle
