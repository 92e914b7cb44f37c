// Starting, feeding and pooling remote executors (see remote_executor.h).
#include "adaptors/ssh/remote_executor.h"

#include <random>

#include "adaptors/ssh/channel_io.h"
#include "adaptors/ssh/libssh_runtime.h"
#include "adaptors/ssh/session.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

constexpr std::size_t kChunk = 32 * 1024;
constexpr std::size_t kStderrTail = 2048;

// The banner's nonce: output of a login shell cannot pass for it.
std::string random_nonce() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string nonce = "cuttle-";
  for (int i = 0; i < 24; ++i) nonce += kHex[engine() % 16];
  return nonce;
}

}  // namespace

RemoteExecutor::RemoteExecutor(std::shared_ptr<Connection> connection, ssh_channel channel)
    : connection_(std::move(connection)), channel_(channel), buffer_(kChunk) {}

RemoteExecutor::~RemoteExecutor() {
  if (libssh::closed()) return;  // the kernel closes the socket (libssh_runtime.h)
  auto lock = connection_->lock();
  // Closing stdin ends the executor's read loop; it removes its scratch directory.
  if (connection_->alive()) ssh_channel_close(channel_);
  ssh_channel_free(channel_);
}

std::unique_ptr<RemoteExecutor> RemoteExecutor::start(std::shared_ptr<Connection> connection,
                                                      Clock::time_point deadline,
                                                      Clock::time_point give_up) {
  const auto until = std::min(deadline, give_up);
  std::unique_ptr<RemoteExecutor> executor;
  {
    auto lock = connection->lock();
    ssh_channel channel = ssh_channel_new(connection->session());
    if (!channel) {
      connection->check_alive();
      throw ConnectionFailed(ssh_get_error(connection->session()));
    }
    if (ssh_channel_open_session(channel) != SSH_OK ||
        ssh_channel_request_exec(channel, executor::bootstrap_command().c_str()) != SSH_OK) {
      std::string why = ssh_get_error(connection->session());
      bool alive = connection->check_alive();
      ssh_channel_free(channel);
      if (!alive) throw ConnectionFailed(why);
      throw ExecutorUnavailable("the server refused to start it: " + why);
    }
    executor.reset(new RemoteExecutor(connection, channel));
  }
  const std::string nonce = random_nonce();
  const std::string script = executor::script_line(nonce);
  std::size_t sent = 0;
  while (true) {
    Round r = executor->round(script, &sent);
    if (r.dead) throw ConnectionFailed("the session ended while starting the executor");
    try {
      if (auto pid = executor->reader_.banner(nonce)) {
        executor->pid_ = *pid;
        return executor;
      }
    } catch (const executor::ProtocolError& e) {
      throw ExecutorUnavailable(e.what());
    }
    if (r.ended) {
      throw ExecutorUnavailable(
          "it ended before it was ready" +
          (executor->stderr_tail_.empty() ? std::string() : ": " + executor->stderr_tail_));
    }
    if (Clock::now() >= until) {
      if (until == give_up) throw ExecutorUnavailable("it was not ready in time");
      throw Timeout("starting the remote executor");
    }
    if (!r.progress) wait_for_traffic(*connection, until);
  }
}

RemoteExecutor::Round RemoteExecutor::round(std::string_view input, std::size_t* sent) {
  Round r;
  std::string out;
  auto lock = connection_->lock();
  if (sent) r.progress = write_available(channel_, input, sent, kChunk);
  // Sampled before reading: data precedes its channel's EOF, so what is read below after
  // an EOF seen here is all there is (see ssh_runner.cc).
  r.ended = ssh_channel_is_eof(channel_) || ssh_channel_is_closed(channel_);
  r.progress |= read_available(channel_, 0, &out, buffer_);
  r.progress |= read_available(channel_, 1, &stderr_tail_, buffer_);
  if (stderr_tail_.size() > kStderrTail) {
    stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
  }
  reader_.feed(out);
  r.dead = !connection_->check_alive();
  return r;
}

RemoteExecutor::Outcome RemoteExecutor::run(const std::string& command_line,
                                            const std::string& stdin_text,
                                            Clock::time_point deadline) {
  using Kind = Outcome::Kind;
  Outcome outcome;
  const std::string request = executor::encode_request(command_line, stdin_text);
  std::size_t sent = 0;
  try {
    while (true) {
      Round r = round(request, sent < request.size() ? &sent : nullptr);
      if (!outcome.started) outcome.started = reader_.started();
      if (outcome.started) {
        if (auto result = reader_.result()) {
          outcome.result.exit_code = result->exit_code;
          outcome.result.stdout_text = std::move(result->stdout_text);
          outcome.result.stderr_text = std::move(result->stderr_text);
          return outcome;
        }
      }
      if (r.dead) {
        outcome.kind = Kind::kSessionLost;
        return outcome;
      }
      if (r.ended) {
        outcome.kind = outcome.started ? Kind::kEndedRunning : Kind::kNotStarted;
        outcome.why = "the remote executor (pid " + std::to_string(pid_) + ") ended" +
                      (stderr_tail_.empty() ? std::string() : ": " + stderr_tail_);
        return outcome;
      }
      if (Clock::now() >= deadline) {
        outcome.kind = Kind::kTimedOut;
        return outcome;
      }
      if (!r.progress) wait_for_traffic(*connection_, deadline);
    }
  } catch (const executor::ProtocolError& e) {
    outcome.kind = Kind::kBroken;
    outcome.why = e.what();
    return outcome;
  }
}

bool RemoteExecutor::finish_killed(Clock::time_point deadline) {
  try {
    while (Clock::now() < deadline) {
      Round r = round({}, nullptr);
      if (reader_.result()) return reader_.pending() == 0;
      if (r.dead || r.ended) return false;
      if (!r.progress) wait_for_traffic(*connection_, deadline);
    }
  } catch (const executor::ProtocolError&) {
  }
  return false;
}

ExecutorPool::~ExecutorPool() = default;

bool ExecutorPool::enabled() const {
  std::lock_guard lock(mutex_);
  return enabled_;
}

std::unique_ptr<RemoteExecutor> ExecutorPool::take(const std::shared_ptr<Connection>& connection) {
  std::vector<std::unique_ptr<RemoteExecutor>> stale;  // destroyed without our lock
  std::unique_ptr<RemoteExecutor> found;
  {
    std::lock_guard lock(mutex_);
    while (!idle_.empty() && !found) {
      auto executor = std::move(idle_.back());
      idle_.pop_back();
      if (executor->connection() == connection) {
        found = std::move(executor);
      } else {
        stale.push_back(std::move(executor));
      }
    }
  }
  return found;
}

void ExecutorPool::give_back(std::unique_ptr<RemoteExecutor> executor) {
  std::lock_guard lock(mutex_);
  if (enabled_) idle_.push_back(std::move(executor));
}

void ExecutorPool::disable(const std::string& host, const std::string& why) {
  std::vector<std::unique_ptr<RemoteExecutor>> idle;
  {
    std::lock_guard lock(mutex_);
    if (!enabled_) return;
    enabled_ = false;
    idle.swap(idle_);
  }
  log(LogLevel::kWarn, "ssh", "remote executor unavailable: one exec per command from now on",
      {{"host", host}, {"reason", why}});
}

}  // namespace cuttle::detail
