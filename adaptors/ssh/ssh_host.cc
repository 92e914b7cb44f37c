// SshHost: the process-wide pool entry for one route — at most one live Connection,
// reconnect with exponential backoff, channel slots (ssh.max.channels), keep-alive.
#include <libssh/server.h>  // ssh_send_keepalive (usable by clients too)

#include <algorithm>
#include <map>
#include <thread>

#include "adaptors/ssh/session.h"
#include "cuttle/error.h"
#include "internal/exit_joins.h"
#include "internal/log.h"

namespace cuttle::detail {

using SteadyClock = std::chrono::steady_clock;

int remaining_ms(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1 << 30));
}

ChannelSlot::~ChannelSlot() { host_->release_channel(); }

SshHost::SshHost(Route route, SshSettings settings, Credential credential)
    : route_(std::move(route)),
      settings_(std::move(settings)),
      credential_(std::move(credential)),
      executors_(settings_.executor) {
  // Exit-aware: a host owned by a static or leaked scheduler stops its keep-alives before
  // libssh closes (see libssh_runtime.h); ~SshHost joins the thread otherwise.
  if (settings_.keepalive.count() > 0) {
    keepalive_thread_ =
        start_exit_aware_thread([this] { keepalive_loop(); }, [this] { stop_keepalive(); });
  }
}

void SshHost::stop_keepalive() {
  {
    std::lock_guard lock(keepalive_mutex_);
    stopping_ = true;
  }
  keepalive_wake_.notify_all();
}

SshHost::~SshHost() {
  stop_keepalive();
  if (keepalive_thread_.joinable()) keepalive_thread_.join();
}

std::string SshHost::describe() const { return "ssh://" + route_.target.describe(); }

std::shared_ptr<Connection> SshHost::connection() {
  std::lock_guard lock(mutex_);
  if (current_ && current_->alive()) return current_;
  bool was_connected = current_ != nullptr || !last_error_.empty();
  current_.reset();
  auto now = SteadyClock::now();
  if (now < next_attempt_) {
    throw ConnectionFailed("connection lost to " + describe() + " (" + last_error_ +
                           "); next reconnect attempt in " +
                           std::to_string(remaining_ms(next_attempt_)) + " ms");
  }
  try {
    current_ = Connection::open(route_, settings_, credential_);
  } catch (const ConnectionFailed& e) {
    backoff_ = std::min<std::chrono::milliseconds>(
        std::max<std::chrono::milliseconds>(backoff_ * 2, std::chrono::milliseconds(250)),
        std::max<std::chrono::milliseconds>(settings_.reconnect_backoff_max,
                                            std::chrono::milliseconds(1)));
    next_attempt_ = SteadyClock::now() + backoff_;
    last_error_ = e.what();
    throw ConnectionFailed(was_connected ? "connection lost to " + describe() +
                                               "; reconnecting failed: " + e.what()
                                         : std::string(e.what()));
  }
  backoff_ = std::chrono::milliseconds(0);
  last_error_.clear();
  return current_;
}

std::string SshHost::lost(const std::shared_ptr<Connection>& connection, const std::string& why) {
  connection->mark_dead();
  std::lock_guard lock(mutex_);
  if (current_ == connection) current_.reset();
  last_error_ = why;
  log(LogLevel::kWarn, "ssh", "connection lost", {{"host", describe()}, {"reason", why}});
  return "connection lost to " + describe() + ": " + why;
}

std::unique_ptr<ChannelSlot> SshHost::acquire_channel(SteadyClock::time_point deadline) {
  std::unique_lock lock(slots_mutex_);
  if (!slots_changed_.wait_until(lock, deadline,
                                 [&] { return slots_in_use_ < settings_.max_channels; })) {
    throw Timeout("all " + std::to_string(settings_.max_channels) + " SSH channels to " +
                  describe() + " stayed busy (ssh.max.channels)");
  }
  ++slots_in_use_;
  return std::make_unique<ChannelSlot>(this);
}

void SshHost::release_channel() {
  {
    std::lock_guard lock(slots_mutex_);
    --slots_in_use_;
  }
  slots_changed_.notify_one();
}

void SshHost::keepalive_loop() {
  std::unique_lock wait_lock(keepalive_mutex_);
  while (!stopping_) {
    keepalive_wake_.wait_for(wait_lock, std::min<std::chrono::milliseconds>(
                                            settings_.keepalive, std::chrono::seconds(1)));
    if (stopping_) break;
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(mutex_);
      connection = current_;
    }
    if (!connection || !connection->alive() ||
        SteadyClock::now() - connection->last_used() < settings_.keepalive) {
      continue;
    }
    wait_lock.unlock();
    bool ok;
    {
      auto lock = connection->lock();
      ssh_send_keepalive(connection->session());
      ok = connection->check_alive();
    }
    connection->touch();
    if (!ok) lost(connection, "keep-alive got no answer");
    wait_lock.lock();
  }
}

std::shared_ptr<SshHost> pooled_host(const Route& route, const SshSettings& settings,
                                     const Credential& credential) {
  // Leaked on purpose: hosts may still be released by other static destructors at exit.
  static auto* mutex = new std::mutex;
  static auto* pool = new std::map<std::string, std::weak_ptr<SshHost>>;
  std::string key = route.target.describe();
  for (const Endpoint& jump : route.jumps) key += "|via " + jump.describe();
  for (const std::string& identity : route.target.identity_files) key += "|id " + identity;
  key += "|" + settings.key() + "|" + std::to_string(static_cast<int>(credential.kind)) + "|" +
         credential.user + "|" + credential.key_file + "|" +
         std::to_string(std::hash<std::string>{}(credential.secret));
  std::lock_guard lock(*mutex);
  for (auto it = pool->begin(); it != pool->end();) {
    it = it->second.expired() ? pool->erase(it) : std::next(it);
  }
  if (auto existing = (*pool)[key].lock()) return existing;
  auto host = std::make_shared<SshHost>(route, settings, credential);
  (*pool)[key] = host;
  return host;
}

}  // namespace cuttle::detail
