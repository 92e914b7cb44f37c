// Channel I/O steps shared by the exec path and the remote executor (see channel_io.h).
#include "adaptors/ssh/channel_io.h"

#include <poll.h>

#include <algorithm>
#include <cstdint>

namespace cuttle::detail {

bool write_available(ssh_channel channel, std::string_view data, std::size_t* sent,
                     std::size_t chunk) {
  const std::size_t left = data.size() - *sent;
  const std::uint32_t window = ssh_channel_window_size(channel);
  if (left == 0 || window == 0) return false;
  const int n = ssh_channel_write(
      channel, data.data() + *sent,
      static_cast<std::uint32_t>(std::min<std::size_t>({left, std::size_t{window}, chunk})));
  if (n <= 0) return false;
  *sent += static_cast<std::size_t>(n);
  return true;
}

bool read_available(ssh_channel channel, int is_stderr, std::string* out,
                    std::vector<char>& buffer) {
  bool progress = false;
  while (true) {
    const int n = ssh_channel_read_nonblocking(
        channel, buffer.data(), static_cast<std::uint32_t>(buffer.size()), is_stderr);
    if (n <= 0) break;
    out->append(buffer.data(), static_cast<std::size_t>(n));
    progress = true;
  }
  return progress;
}

void wait_for_traffic(const Connection& connection,
                      std::chrono::steady_clock::time_point deadline) {
  pollfd fd{connection.fd(), POLLIN, 0};
  ::poll(&fd, 1, std::min(remaining_ms(deadline), 5));
}

}  // namespace cuttle::detail
