// Running one command on a channel: exec, stream stdin, collect stdout/stderr and the
// exit status (or signal) without ever blocking another channel for long.
#include "adaptors/ssh/ssh_runner.h"

#include <libssh/callbacks.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <optional>

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
        std::size_t left = options.stdin_text.size() - stdin_sent;
        std::uint32_t window = ssh_channel_window_size(channel);
        if (left > 0 && window > 0) {
          int n = ssh_channel_write(channel, options.stdin_text.data() + stdin_sent,
                                    static_cast<std::uint32_t>(std::min<std::size_t>(
                                        {left, static_cast<std::size_t>(window), buffer.size()})));
          if (n > 0) {
            stdin_sent += static_cast<std::size_t>(n);
            progress = true;
          }
        }
        if (stdin_sent == options.stdin_text.size()) {
          ssh_channel_send_eof(channel);
          stdin_closed = true;
        }
      }
      // Sampled before draining: SSH delivers a channel's data before its EOF and close, so
      // once they are seen here, the reads below take everything that is left. Sampled
      // after, data arriving together with the EOF was left unread (a 32 KiB tail lost).
      const bool eof = ssh_channel_is_eof(channel);
      const bool closed_before = end.closed || ssh_channel_is_closed(channel);
      for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
        std::string& out = is_stderr ? result.stderr_text : result.stdout_text;
        while (true) {
          int n = ssh_channel_read_nonblocking(
              channel, buffer.data(), static_cast<std::uint32_t>(buffer.size()), is_stderr);
          if (n <= 0) break;
          out.append(buffer.data(), static_cast<std::size_t>(n));
          progress = true;
        }
      }
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
      throw ConnectionFailed(host_->lost(connection, "the session ended while running " + argv[0]));
    }
    if (SteadyClock::now() >= deadline) {
      auto lock = connection->lock();
      ssh_channel_request_send_signal(channel, "KILL");
      throw Timeout("command on " + host_->describe() + " timed out after " +
                    std::to_string(timeout.count()) + " ms: " + argv[0]);
    }
    if (!progress) {
      pollfd fd{connection->fd(), POLLIN, 0};
      ::poll(&fd, 1, std::min(remaining_ms(deadline), 5));
    }
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
  // A channel closed without a status: the server gave none (as OpenSSH's client, 255).
  result.exit_code = end.exit_code.value_or(255);
  return result;
}

}  // namespace cuttle::detail
