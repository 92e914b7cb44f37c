// Runs an argv (never a shell string) and returns its exit code and output.
// LocalRunner runs here; the SSH runner (adaptors/ssh) runs on another host and is the
// only place that joins an argv into a shell line (with quote()). Wrap a runner to
// record or inject failures in tests (see ForwardingRunner).
// Thread-safety: run() may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cuttle {

struct CommandResult {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string stdout_text;
  std::string stderr_text;
};

struct CommandOptions {
  std::string stdin_text;
  std::optional<std::chrono::milliseconds> timeout;  // kill and throw Timeout when exceeded
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Throws ConnectionFailed when the command could not be started at all on a remote
  // host; a command that starts and exits non-zero is a normal result.
  // REQUIRES: argv is not empty.
  virtual CommandResult run(const std::vector<std::string>& argv,
                            const CommandOptions& options = {}) = 0;
  // Like run(), with the standard input that `input` returns, called while the command
  // starts up: work the command must not see unfinished (the sandbox of a batch job whose
  // script the submit command reads from stdin) overlaps the command's own start, and the
  // command reads no byte before it is done. options.stdin_text is ignored, and
  // options.timeout counts from when the input is ready. When `input` throws, the command
  // is killed unfed and the exception propagates; when the command cannot be started,
  // `input` is not called. This default, for runners that cannot overlap, calls `input`
  // and then run().
  virtual CommandResult run_with_input(const std::vector<std::string>& argv,
                                       const std::function<std::string()>& input,
                                       const CommandOptions& options = {});
  // "local", "ssh://alice@hpc:22"
  virtual std::string describe() const = 0;
};

// Forwards every call; derive to decorate a runner (fault injection, recording).
class ForwardingRunner : public CommandRunner {
 public:
  explicit ForwardingRunner(std::shared_ptr<CommandRunner> target) : target_(std::move(target)) {}
  CommandResult run(const std::vector<std::string>& argv, const CommandOptions& options) override {
    return target_->run(argv, options);
  }
  std::string describe() const override { return target_->describe(); }

 protected:
  std::shared_ptr<CommandRunner> target_;
};

// Runs argv on this machine with posix_spawnp; PATH lookup for argv[0]. run_with_input
// calls `input` on a helper thread (the caller waits for it), so that it runs beside the
// starting command instead of on the CPU the kernel often leaves the command on.
class LocalRunner : public CommandRunner {
 public:
  CommandResult run(const std::vector<std::string>& argv,
                    const CommandOptions& options = {}) override;
  CommandResult run_with_input(const std::vector<std::string>& argv,
                               const std::function<std::string()>& input,
                               const CommandOptions& options = {}) override;
  std::string describe() const override { return "local"; }

 private:
  CommandResult spawn_and_wait(const std::vector<std::string>& argv, const CommandOptions& options,
                               const std::function<std::string()>& input);  // empty: none
};

// Runs the command and throws CommandFailed (argv, exit code, stderr) unless it exits 0.
CommandResult run_checked(CommandRunner& runner, const std::vector<std::string>& argv,
                          const CommandOptions& options = {});

}  // namespace cuttle
