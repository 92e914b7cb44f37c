// Running one command: on an idle remote executor of the session (remote_executor.h), or
// on a channel of its own (exec, stream stdin, collect stdout/stderr and the exit status or
// signal) when executors are off or unavailable; never blocking another channel for long.
#include "adaptors/ssh/ssh_runner.h"

#include <libssh/callbacks.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "adaptors/ssh/channel_io.h"
#include "adaptors/ssh/remote_executor.h"
#include "cuttle/error.h"
#include "cuttle/shell.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;

int signal_number(const char* name) {
  static const std::pair<const char*, int> kSignals[] = {
      {"HUP", 1},   {"INT", 2},   {"QUIT", 3},  {"ILL", 4},   {"TRAP", 5},  {"ABRT", 6},
      {"BUS", 7},   {"FPE", 8},   {"KILL", 9},  {"USR1", 10}, {"SEGV", 11}, {"USR2", 12},
      {"PIPE", 13}, {"ALRM", 14}, {"TERM", 15}, {"XCPU", 24}, {"XFSZ", 25}};
  for (const auto& [signal_name, number] : kSignals) {
    if (name && std::strcmp(name, signal_name) == 0) return number;
  }
  return 0;
}

// What the server told us about the end of the command (filled by libssh callbacks).
struct ChannelEnd {
  std::optional<int> exit_code;
  bool closed = false;
};

void on_exit_status(ssh_session, ssh_channel, int status, void* user) {
  static_cast<ChannelEnd*>(user)->exit_code = status;
}

void on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*,
                    void* user) {
  static_cast<ChannelEnd*>(user)->exit_code = 128 + signal_number(signal);
}

void on_close(ssh_session, ssh_channel, void* user) {
  static_cast<ChannelEnd*>(user)->closed = true;
}

// Frees the channel under the connection's lock however run() leaves.
class ChannelGuard {
 public:
  ChannelGuard(Connection& connection, ssh_channel channel)
      : connection_(connection), channel_(channel) {}
  ~ChannelGuard() {
    auto lock = connection_.lock();
    if (connection_.alive()) ssh_channel_close(channel_);
    ssh_channel_free(channel_);
  }

 private:
  Connection& connection_;
  ssh_channel channel_;
};

}  // namespace

CommandResult SshRunner::run(const std::vector<std::string>& argv, const CommandOptions& options) {
  if (argv.empty()) throw InvalidArgument("SshRunner::run: empty argv");
  const std::string line = quote_command(argv);
  const auto timeout = options.timeout.value_or(host_->settings().command_timeout);
  const auto deadline = SteadyClock::now() + timeout;
  auto slot = host_->acquire_channel(deadline);
  std::shared_ptr<Connection> connection = host_->connection();
  CommandResult result;
  if (!run_on_executor(connection, argv, line, options.stdin_text, deadline, timeout, &result)) {
    result = run_on_channel(connection, argv[0], line, options.stdin_text, deadline, timeout);
  }
  connection->touch();
  if (log_enabled(LogLevel::kDebug)) {
    log(LogLevel::kDebug, "ssh", "command finished",
        {{"host", host_->describe()},
         {"command", argv[0]},
         {"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   SteadyClock::now() - (deadline - timeout))
                                   .count())}});
  }
  return result;
}

CommandResult SshRunner::run_on_channel(const std::shared_ptr<Connection>& connection,
                                        const std::string& name, const std::string& line,
                                        const std::string& stdin_text,
                                        SteadyClock::time_point deadline,
                                        std::chrono::milliseconds timeout) {
  ChannelEnd end;
  ssh_channel_callbacks_struct callbacks{};
  callbacks.userdata = &end;
  callbacks.channel_exit_status_function = on_exit_status;
  callbacks.channel_exit_signal_function = on_exit_signal;
  callbacks.channel_close_function = on_close;
  ssh_callbacks_init(&callbacks);

  ssh_channel channel = nullptr;
  {
    auto lock = connection->lock();
    channel = ssh_channel_new(connection->session());
    if (!channel) {
      connection->check_alive();
      throw ConnectionFailed(host_->lost(connection, ssh_get_error(connection->session())));
    }
    ssh_set_channel_callbacks(channel, &callbacks);
    if (ssh_channel_open_session(channel) != SSH_OK ||
        ssh_channel_request_exec(channel, line.c_str()) != SSH_OK) {
      std::string why = ssh_get_error(connection->session());
      bool alive = connection->check_alive();
      ssh_channel_free(channel);
      if (!alive) throw ConnectionFailed(host_->lost(connection, why));
      throw ConnectionFailed("cannot start a command on " + host_->describe() + ": " + why);
    }
  }
  ChannelGuard guard(*connection, channel);

  CommandResult result;
  std::size_t stdin_sent = 0;
  bool stdin_closed = false;
  std::vector<char> buffer(32 * 1024);
  while (true) {
    bool progress = false, finished = false, dead = false;
    {
      auto lock = connection->lock();
      if (!stdin_closed && !ssh_channel_is_eof(channel)) {
        progress = write_available(channel, stdin_text, &stdin_sent, buffer.size());
        if (stdin_sent == stdin_text.size()) {
          ssh_channel_send_eof(channel);
          stdin_closed = true;
        }
      }
      // Sampled before draining: SSH delivers a channel's data before its EOF and close, so
      // once they are seen here, the reads below take everything that is left. Sampled
      // after, data arriving together with the EOF was left unread (a 32 KiB tail lost).
      const bool eof = ssh_channel_is_eof(channel);
      const bool closed_before = end.closed || ssh_channel_is_closed(channel);
      progress |= read_available(channel, 0, &result.stdout_text, buffer);
      progress |= read_available(channel, 1, &result.stderr_text, buffer);
      if (eof && !end.exit_code && !end.closed) {
        // Once a channel saw EOF, libssh 0.10's reads no longer process packets, so the
        // exit-status and close that follow would sit unread. get_exit_status on a
        // non-blocking session processes what has arrived and returns at once.
        ssh_set_blocking(connection->session(), 0);
        int status = ssh_channel_get_exit_status(channel);
        ssh_set_blocking(connection->session(), 1);
        if (status >= 0 && !end.exit_code) end.exit_code = status;
      }
      finished = (eof || closed_before) && (end.exit_code.has_value() || closed_before);
      dead = !connection->check_alive();
    }
    if (finished) break;
    if (dead) {
      throw ConnectionFailed(host_->lost(connection, "the session ended while running " + name));
    }
    if (SteadyClock::now() >= deadline) {
      auto lock = connection->lock();
      ssh_channel_request_send_signal(channel, "KILL");
      throw Timeout("command on " + host_->describe() + " timed out after " +
                    std::to_string(timeout.count()) + " ms: " + name);
    }
    if (!progress) wait_for_traffic(*connection, deadline);
  }
  // A channel closed without a status: the server gave none (as OpenSSH's client, 255).
  result.exit_code = end.exit_code.value_or(255);
  return result;
}

bool SshRunner::run_on_executor(const std::shared_ptr<Connection>& connection,
                                const std::vector<std::string>& argv, const std::string& line,
                                const std::string& stdin_text, SteadyClock::time_point deadline,
                                std::chrono::milliseconds timeout, CommandResult* result) {
  using Kind = RemoteExecutor::Outcome::Kind;
  ExecutorPool& pool = host_->executors();
  // An executor found gone before the command started (it ended while idle, or was killed)
  // is replaced once; the command never ran, so running it elsewhere is safe.
  for (int attempt = 0; attempt < 2 && pool.enabled(); ++attempt) {
    std::unique_ptr<RemoteExecutor> executor = pool.take(connection);
    if (!executor) executor = start_executor(connection, argv[0], deadline, timeout);
    if (!executor) return false;
    RemoteExecutor::Outcome outcome = executor->run(line, stdin_text, deadline);
    switch (outcome.kind) {
      case Kind::kDone:
        pool.give_back(std::move(executor));
        *result = std::move(outcome.result);
        return true;
      case Kind::kNotStarted:
        log(LogLevel::kInfo, "ssh", "remote executor gone; starting another",
            {{"host", host_->describe()}, {"reason", outcome.why}});
        continue;
      case Kind::kSessionLost:
        throw ConnectionFailed(
            host_->lost(connection, "the session ended while running " + argv[0]));
      case Kind::kEndedRunning:
        throw ConnectionFailed(outcome.why + " on " + host_->describe() + " while running " +
                               argv[0] + "; its outcome is unknown");
      case Kind::kBroken:
        pool.disable(host_->describe(), outcome.why);
        if (!outcome.started) return false;
        throw ConnectionFailed("the remote executor on " + host_->describe() +
                               " broke while running " + argv[0] + " (" + outcome.why +
                               "); its outcome is unknown");
      case Kind::kTimedOut:
        if (outcome.started && kill_executor_child(connection, executor->pid()) &&
            executor->finish_killed(SteadyClock::now() + std::chrono::seconds(2))) {
          pool.give_back(std::move(executor));
        }
        throw Timeout("command on " + host_->describe() + " timed out after " +
                      std::to_string(timeout.count()) + " ms: " + argv[0]);
    }
  }
  return false;
}

std::unique_ptr<RemoteExecutor> SshRunner::start_executor(
    const std::shared_ptr<Connection>& connection, const std::string& name,
    SteadyClock::time_point deadline, std::chrono::milliseconds timeout) {
  try {
    return RemoteExecutor::start(connection, deadline,
                                 SteadyClock::now() + host_->settings().connect_timeout);
  } catch (const ExecutorUnavailable& e) {
    host_->executors().disable(host_->describe(), e.what());
    return nullptr;
  } catch (const ConnectionFailed& e) {
    if (!connection->alive()) throw ConnectionFailed(host_->lost(connection, e.what()));
    host_->executors().disable(host_->describe(), e.what());
    return nullptr;
  } catch (const Timeout&) {
    throw Timeout("command on " + host_->describe() + " timed out after " +
                  std::to_string(timeout.count()) + " ms (starting the remote executor): " + name);
  }
}

bool SshRunner::kill_executor_child(const std::shared_ptr<Connection>& connection, long pid) {
  // The command is the executor's only child while it runs (a subshell that exec'd it):
  // SIGKILL it as a timed-out exec channel's command is, on a channel of its own, since
  // the executor is busy waiting for it. POSIX ps -A -o is in procps and busybox alike.
  static const std::string kKillChildren =
      "ps -A -o pid= -o ppid= | while read -r p q; do "
      "if [ \"$q\" = \"$1\" ]; then kill -KILL \"$p\"; fi; done";
  const auto bound = std::min<std::chrono::milliseconds>(host_->settings().connect_timeout,
                                                         std::chrono::seconds(10));
  try {
    run_on_channel(connection, "kill",
                   quote_command({"/bin/sh", "-c", kKillChildren, "sh", std::to_string(pid)}), {},
                   SteadyClock::now() + bound, bound);
    return true;
  } catch (const Error& e) {
    log(LogLevel::kWarn, "ssh", "could not kill a timed-out command",
        {{"host", host_->describe()}, {"reason", e.what()}});
    return false;
  }
}

}  // namespace cuttle::detail
