// SshRunner: a CommandRunner that runs an argv on a channel of the pooled session of
// one host. It is the only place Cuttle joins an argv into a shell line, and it quotes
// every element with cuttle::quote(). stdin is streamed as the channel window allows;
// every call is bounded (options.timeout, else ssh.command.timeout).
// Thread-safety: run() may be called concurrently (at most ssh.max.channels run at once).
#pragma once

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
  std::shared_ptr<SshHost> host_;
};

}  // namespace cuttle::detail
