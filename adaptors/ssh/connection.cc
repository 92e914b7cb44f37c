// Connection: one libssh session — connect (directly or through a jump tunnel), the
// SFTP subsystem, liveness. Host keys and authentication are in host_trust.cc, the pool
// (SshHost, keep-alive, reconnect with backoff) in ssh_host.cc.
#include "adaptors/ssh/session.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <functional>
#include <thread>

#include "adaptors/ssh/libssh_runtime.h"
#include "cuttle/error.h"
#include "internal/exit_joins.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

// A direct-tcpip channel on the previous hop, carried to the next session through a
// socketpair that a thread pumps in both directions (libssh 0.10 has no native jump
// support that avoids spawning the ssh binary).
struct Connection::Tunnel {
  std::shared_ptr<Connection> via;
  ssh_channel channel = nullptr;
  int local_fd = -1;
  std::atomic<bool> stop{false};
  std::thread pump;

  ~Tunnel() {
    stop = true;
    if (pump.joinable()) pump.join();
    if (channel && !libssh::closed()) {
      auto lock = via->lock();
      ssh_channel_close(channel);
      ssh_channel_free(channel);
    }
    if (local_fd >= 0) close(local_fd);
  }

  void run() {
    std::vector<char> buffer(64 * 1024);
    std::string to_channel, to_socket;
    bool channel_eof = false;
    while (!stop) {
      pollfd fds[2] = {
          {local_fd, static_cast<short>(POLLIN | (to_socket.empty() ? 0 : POLLOUT)), 0},
          {via->fd(), POLLIN, 0}};
      ::poll(fds, 2, to_channel.empty() ? 50 : 5);
      if (to_channel.empty()) {
        ssize_t n = ::read(local_fd, buffer.data(), buffer.size());
        if (n == 0) break;  // the session above closed its end
        if (n > 0) to_channel.assign(buffer.data(), static_cast<std::size_t>(n));
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
      }
      {
        auto lock = via->lock();
        if (!to_channel.empty()) {
          std::uint32_t window = ssh_channel_window_size(channel);
          if (window > 0) {
            int written = ssh_channel_write(
                channel, to_channel.data(),
                static_cast<std::uint32_t>(std::min<std::size_t>(to_channel.size(), window)));
            if (written < 0) break;
            to_channel.erase(0, static_cast<std::size_t>(written));
          }
        }
        while (to_socket.size() < (1 << 20)) {
          int n = ssh_channel_read_nonblocking(channel, buffer.data(),
                                               static_cast<std::uint32_t>(buffer.size()), 0);
          if (n > 0) {
            to_socket.append(buffer.data(), static_cast<std::size_t>(n));
            continue;
          }
          if (n == SSH_ERROR || ssh_channel_is_eof(channel)) channel_eof = true;
          break;
        }
        if (!via->check_alive()) channel_eof = true;
      }
      while (!to_socket.empty()) {
        ssize_t n = ::write(local_fd, to_socket.data(), to_socket.size());
        if (n <= 0) break;
        to_socket.erase(0, static_cast<std::size_t>(n));
      }
      if (channel_eof && to_socket.empty()) break;
    }
    // The session above sees end of file and fails its calls: connection lost.
    ::shutdown(local_fd, SHUT_RDWR);
  }
};

Connection::Connection(Endpoint endpoint, const SshSettings& settings)
    : endpoint_(std::move(endpoint)), settings_(settings) {
  touch();
}

Connection::~Connection() {
  // Owned by a static object and destroyed after libssh closed at exit: the kernel
  // closes the socket (see libssh_runtime.h).
  if (!libssh::closed()) {
    auto guard = lock();
    if (sftp_) sftp_free(sftp_);
    if (session_) {
      if (alive_) ssh_disconnect(session_);
      ssh_free(session_);
    }
  }
  tunnel_.reset();
  via_.reset();
}

std::shared_ptr<Connection> Connection::open(const Route& route, const SshSettings& settings,
                                             const Credential& credential) {
  std::vector<Endpoint> hops = route.jumps;
  hops.push_back(route.target);
  std::shared_ptr<Connection> previous;
  for (std::size_t i = 0; i < hops.size(); ++i) {
    std::shared_ptr<Connection> next(new Connection(hops[i], settings));
    // Jump hosts authenticate with the same credential but their own user name.
    Credential hop_credential = credential;
    if (i + 1 < hops.size()) hop_credential.user.clear();
    if (!previous) {
      next->connect(hop_credential, -1);
    } else {
      auto tunnel = std::make_unique<Tunnel>();
      tunnel->via = previous;
      {
        auto lock = previous->lock();
        tunnel->channel = ssh_channel_new(previous->session());
        if (!tunnel->channel || ssh_channel_open_forward(tunnel->channel, hops[i].host.c_str(),
                                                         hops[i].port, "127.0.0.1", 0) != SSH_OK) {
          std::string why = ssh_get_error(previous->session());
          if (tunnel->channel) ssh_channel_free(tunnel->channel);
          tunnel->channel = nullptr;
          throw ConnectionFailed("jump host ssh://" + previous->endpoint().describe() +
                                 " could not open a tunnel to " + hops[i].describe() + ": " + why);
        }
      }
      int pair[2];
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
        throw ConnectionFailed("socketpair for jump tunnel failed");
      }
      set_nonblocking(pair[0]);
      tunnel->local_fd = pair[0];
      Tunnel* raw = tunnel.get();
      // Exit-aware: a tunnel owned by a static or leaked scheduler stops pumping before
      // libssh closes (see libssh_runtime.h); ~Tunnel joins it otherwise.
      tunnel->pump = start_exit_aware_thread([raw] { raw->run(); }, [raw] { raw->stop = true; });
      next->tunnel_ = std::move(tunnel);
      next->via_ = previous;
      next->connect(hop_credential, pair[1]);  // libssh owns and closes pair[1]
    }
    previous = std::move(next);
  }
  return previous;
}

void Connection::connect(const Credential& credential, int fd) {
  session_ = ssh_new();
  if (!session_) throw InternalError("ssh_new failed");
  unsigned int port = endpoint_.port;
  long timeout_s =
      std::max<long>(1, static_cast<long>((settings_.connect_timeout.count() + 999) / 1000));
  bool process_config = false;  // we read ssh_config ourselves (see ssh_config.h)
  ssh_options_set(session_, SSH_OPTIONS_HOST, endpoint_.host.c_str());
  ssh_options_set(session_, SSH_OPTIONS_PORT, &port);
  ssh_options_set(session_, SSH_OPTIONS_USER, endpoint_.user.c_str());
  ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
  ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, settings_.known_hosts.c_str());
  ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout_s);
  for (const std::string& identity : endpoint_.identity_files) {
    ssh_options_set(session_, SSH_OPTIONS_ADD_IDENTITY, identity.c_str());
  }
  if (fd >= 0) {
    ssh_options_set(session_, SSH_OPTIONS_FD, &fd);
  } else {
    // Small request/answer packets (channel open, exec, exit-status) otherwise wait for
    // Nagle + delayed ACK: about 40 ms per remote command.
    int nodelay = 1;
    ssh_options_set(session_, SSH_OPTIONS_NODELAY, &nodelay);
  }
  if (ssh_connect(session_) != SSH_OK) {
    throw ConnectionFailed("cannot connect to ssh://" + endpoint_.describe() + ": " +
                           ssh_get_error(session_));
  }
  verify_host_key();
  authenticate(credential);
  log(LogLevel::kInfo, "ssh", "connected", {{"host", endpoint_.describe()}});
}

sftp_session Connection::sftp() {
  if (sftp_) return sftp_;
  sftp_session sftp = sftp_new(session_);
  if (!sftp) {
    check_alive();
    throw ConnectionFailed("cannot open the SFTP subsystem on ssh://" + endpoint_.describe() +
                           ": " + ssh_get_error(session_));
  }
  if (sftp_init(sftp) != SSH_OK) {
    std::string why = ssh_get_error(session_);
    sftp_free(sftp);
    check_alive();
    throw ConnectionFailed("cannot start SFTP on ssh://" + endpoint_.describe() + ": " + why);
  }
  sftp_ = sftp;
  return sftp_;
}

int Connection::fd() const { return session_ ? ssh_get_fd(session_) : -1; }

bool Connection::check_alive() {
  if (!alive_) return false;
  int status = ssh_get_status(session_);
  if (!ssh_is_connected(session_) || (status & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
    alive_ = false;
  }
  return alive_;
}

std::chrono::steady_clock::time_point Connection::last_used() const {
  return SteadyClock::time_point(std::chrono::milliseconds(last_used_.load()));
}

void Connection::touch() { last_used_ = now_ms(); }

}  // namespace cuttle::detail
