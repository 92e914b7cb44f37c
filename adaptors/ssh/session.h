// The process-wide SSH session pool. One SshHost per (user, host, port, jumps, settings,
// credential) owns at most one live libssh session (a Connection) at a time, shared by
// every runner, file system and scheduler that reaches that host. libssh sessions are
// not thread-safe, so every libssh call on a Connection happens under its lock; commands
// run on channels of the shared session, at most ssh.max.channels at once.
// When a connection drops, the call that notices it throws ConnectionFailed("connection
// lost ..."); the next call reconnects, with exponential backoff between attempts.
// Thread-safety: SshHost and Connection methods may be called from any thread.
#pragma once

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adaptors/ssh/libssh_runtime.h"
#include "adaptors/ssh/remote_executor.h"
#include "adaptors/ssh/ssh_config.h"
#include "adaptors/ssh/ssh_settings.h"
#include "cuttle/credential.h"

namespace cuttle::detail {

// One authenticated libssh session (possibly tunnelled through jump hosts).
class Connection {
 public:
  // Connects, checks the host key, authenticates; the jumps are opened first, each
  // next hop carried by a direct-tcpip channel of the previous one.
  // Throws ConnectionFailed / AuthenticationFailed naming the host and the reason.
  static std::shared_ptr<Connection> open(const Route& route, const SshSettings& settings,
                                          const Credential& credential);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Every libssh call on session() (and its channels and SFTP) is made holding this.
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }
  ssh_session session() const { return session_; }
  // REQUIRES: lock held. The SFTP subsystem, opened on first use.
  sftp_session sftp();
  // The socket libssh reads; poll() it (without the lock) to wait for traffic.
  int fd() const;

  bool alive() const { return alive_.load(); }
  // REQUIRES: lock held. False (and the connection marked dead) when libssh says the
  // transport is gone.
  bool check_alive();
  void mark_dead() { alive_ = false; }
  const Endpoint& endpoint() const { return endpoint_; }
  std::chrono::steady_clock::time_point last_used() const;
  void touch();

 private:
  struct Tunnel;
  Connection(Endpoint endpoint, const SshSettings& settings);
  void connect(const Credential& credential, int fd);
  void verify_host_key();
  void authenticate(const Credential& credential);

  libssh::SessionHold hold_;  // first: libssh outlives session_ (released last)
  Endpoint endpoint_;
  SshSettings settings_;
  std::mutex mutex_;
  ssh_session session_ = nullptr;
  sftp_session sftp_ = nullptr;
  std::atomic<bool> alive_{true};
  std::atomic<std::int64_t> last_used_{0};
  std::shared_ptr<Connection> via_;  // the previous hop, kept alive while we are
  std::unique_ptr<Tunnel> tunnel_;
};

class SshHost;

// A channel slot; released when destroyed.
class ChannelSlot {
 public:
  explicit ChannelSlot(SshHost* host) : host_(host) {}
  ~ChannelSlot();
  ChannelSlot(const ChannelSlot&) = delete;
  ChannelSlot& operator=(const ChannelSlot&) = delete;

 private:
  SshHost* host_;
};

class SshHost {
 public:
  SshHost(Route route, SshSettings settings, Credential credential);
  ~SshHost();

  // The live connection, or a new one. Between a lost connection and the next allowed
  // attempt (backoff), throws ConnectionFailed("connection lost ...") without trying.
  std::shared_ptr<Connection> connection();
  // Marks `connection` dead (if it is the current one) and returns the ConnectionFailed
  // message to throw: "connection lost to ssh://...: <why>".
  std::string lost(const std::shared_ptr<Connection>& connection, const std::string& why);
  // Waits (until `deadline`) for one of the ssh.max.channels slots.
  // Throws Timeout when none frees up in time.
  std::unique_ptr<ChannelSlot> acquire_channel(std::chrono::steady_clock::time_point deadline);

  const SshSettings& settings() const { return settings_; }
  const Route& route() const { return route_; }
  // The idle remote executors of this host's session (ssh.executor).
  ExecutorPool& executors() { return executors_; }
  // "ssh://user@host:port"
  std::string describe() const;

 private:
  friend class ChannelSlot;
  void release_channel();
  void keepalive_loop();
  void stop_keepalive();

  const Route route_;
  const SshSettings settings_;
  const Credential credential_;

  std::mutex mutex_;  // guards the fields below; held while connecting
  std::shared_ptr<Connection> current_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;

  ExecutorPool executors_;  // after current_: destroyed first, while the session lives

  std::mutex slots_mutex_;
  std::condition_variable slots_changed_;
  int slots_in_use_ = 0;

  std::mutex keepalive_mutex_;
  std::condition_variable keepalive_wake_;
  bool stopping_ = false;
  std::thread keepalive_thread_;
};

// The pooled SshHost for this route, settings and credential (created on first use,
// released when the last user lets go).
std::shared_ptr<SshHost> pooled_host(const Route& route, const SshSettings& settings,
                                     const Credential& credential);

// Milliseconds left until `deadline` (at least 0), for poll().
int remaining_ms(std::chrono::steady_clock::time_point deadline);

}  // namespace cuttle::detail
