// SshRunner: a CommandRunner that runs an argv on the pooled session of one host: on a
// remote executor of that session (started once through the login shell, see
// remote_executor.h), or with one exec channel per command when ssh.executor=off or no
// executor can start there. It is the only place Cuttle joins an argv into a shell line,
// and it quotes every element with cuttle::quote(). stdin is streamed as the channel
// window allows; every call is bounded (options.timeout, else ssh.command.timeout).
// Thread-safety: run() may be called concurrently (at most ssh.max.channels run at once).
#pragma once

#include <chrono>
#include <memory>

#include "adaptors/ssh/session.h"
#include "cuttle/command_runner.h"

namespace cuttle::detail {

class SshRunner : public CommandRunner {
 public:
  explicit SshRunner(std::shared_ptr<SshHost> host) : host_(std::move(host)) {}
  // Throws ConnectionFailed when the connection is (or gets) lost, Timeout when the
  // command outlives its bound (it is then sent SIGKILL and its channel closed).
  CommandResult run(const std::vector<std::string>& argv,
                    const CommandOptions& options = {}) override;
  std::string describe() const override { return host_->describe(); }
  const std::shared_ptr<SshHost>& host() const { return host_; }

 private:
  using SteadyClock = std::chrono::steady_clock;
  // On an executor; false when the command is to run on a channel of its own instead.
  bool run_on_executor(const std::shared_ptr<Connection>& connection,
                       const std::vector<std::string>& argv, const std::string& line,
                       const std::string& stdin_text, SteadyClock::time_point deadline,
                       std::chrono::milliseconds timeout, CommandResult* result);
  // A new executor, or null when executors are unavailable on this host (now switched off).
  std::unique_ptr<RemoteExecutor> start_executor(const std::shared_ptr<Connection>& connection,
                                                 const std::string& name,
                                                 SteadyClock::time_point deadline,
                                                 std::chrono::milliseconds timeout);
  // SIGKILLs what the executor `pid` runs; false when that could not be done.
  bool kill_executor_child(const std::shared_ptr<Connection>& connection, long pid);
  // The command `line` on an exec channel of its own.
  CommandResult run_on_channel(const std::shared_ptr<Connection>& connection,
                               const std::string& name, const std::string& line,
                               const std::string& stdin_text, SteadyClock::time_point deadline,
                               std::chrono::milliseconds timeout);

  std::shared_ptr<SshHost> host_;
};

}  // namespace cuttle::detail
