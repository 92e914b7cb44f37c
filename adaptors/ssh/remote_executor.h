// RemoteExecutor: one long-lived POSIX sh loop on a channel of a pooled session, started
// once through the user's login shell (so a slow .bashrc is paid once per executor, not
// per command) and fed commands with the framing of executor_protocol.h. ExecutorPool
// keeps a host's idle executors: one per command running at once, never more than
// ssh.max.channels (each is a channel).
// Thread-safety: a RemoteExecutor is used by one thread at a time (whoever took it from
// the pool); ExecutorPool methods may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <libssh/libssh.h>

#include "adaptors/ssh/executor_protocol.h"
#include "cuttle/command_runner.h"

namespace cuttle::detail {

class Connection;

// The executor could not be started on this host (exec refused, no banner, a forced
// command, a restricted shell): run commands with one exec each instead.
class ExecutorUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RemoteExecutor {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts one on a new channel of `connection`; waits for its banner until `deadline`.
  // Throws ExecutorUnavailable (see above), Timeout when `deadline` passes first while
  // `give_up` has not (the command's own bound was too short), ConnectionFailed when the
  // session is gone (connection->alive() is then false).
  static std::unique_ptr<RemoteExecutor> start(std::shared_ptr<Connection> connection,
                                               Clock::time_point deadline,
                                               Clock::time_point give_up);
  ~RemoteExecutor();
  RemoteExecutor(const RemoteExecutor&) = delete;
  RemoteExecutor& operator=(const RemoteExecutor&) = delete;

  struct Outcome {
    enum class Kind {
      kDone,          // result holds the command's exit status and output
      kNotStarted,    // the executor was gone before the command started: run it elsewhere
      kEndedRunning,  // the executor ended while the command ran: its outcome is unknown
      kBroken,        // the frames did not parse (why)
      kSessionLost,   // the SSH session ended
      kTimedOut,      // deadline passed; started says whether the command is running
    };
    Kind kind = Kind::kDone;
    CommandResult result;
    bool started = false;
    std::string why;
  };
  // Runs one command line (quote_command(argv)) with `stdin_text` until `deadline`.
  // After any kind but kDone (and kTimedOut with started, until finish_killed()), the
  // executor is unusable.
  Outcome run(const std::string& command_line, const std::string& stdin_text,
              Clock::time_point deadline);
  // After kTimedOut with the command started and killed from outside: waits until
  // `deadline` for its result frame; true when the executor is usable again.
  bool finish_killed(Clock::time_point deadline);

  long pid() const { return pid_; }
  const std::shared_ptr<Connection>& connection() const { return connection_; }

 private:
  struct Round {
    bool progress = false;
    bool ended = false;  // the channel saw EOF or close: the executor is gone
    bool dead = false;   // the session is gone
  };
  RemoteExecutor(std::shared_ptr<Connection> connection, ssh_channel channel);
  // One pass under the lock: write from `input` (if any), read what arrived.
  Round round(std::string_view input, std::size_t* sent);

  std::shared_ptr<Connection> connection_;
  ssh_channel channel_;
  executor::ResponseReader reader_;
  std::string stderr_tail_;  // the executor's own stderr, for messages
  std::vector<char> buffer_;
  long pid_ = 0;
};

class ExecutorPool {
 public:
  explicit ExecutorPool(bool enabled) : enabled_(enabled) {}
  ~ExecutorPool();
  bool enabled() const;
  // An idle executor on `connection`, or null (start one). Executors of an older
  // connection are dropped.
  std::unique_ptr<RemoteExecutor> take(const std::shared_ptr<Connection>& connection);
  void give_back(std::unique_ptr<RemoteExecutor> executor);
  // From now on this host runs one exec per command; logged once, naming `host` and `why`.
  void disable(const std::string& host, const std::string& why);

 private:
  mutable std::mutex mutex_;
  bool enabled_;
  std::vector<std::unique_ptr<RemoteExecutor>> idle_;
};

}  // namespace cuttle::detail
