// The steps every command on a channel repeats: write what the window allows, take what
// has arrived, wait for the socket without holding the session's lock. Used by the plain
// exec path (ssh_runner.cc) and the remote executor (remote_executor.cc).
// Thread-safety: the functions marked REQUIRES need the connection's lock held.
#pragma once

#include <libssh/libssh.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "adaptors/ssh/session.h"

namespace cuttle::detail {

// REQUIRES: lock held. Writes the next part of `data` (from *sent) that the channel window
// and `chunk` allow; true when something was written.
bool write_available(ssh_channel channel, std::string_view data, std::size_t* sent,
                     std::size_t chunk);
// REQUIRES: lock held. Appends everything that has arrived on stdout (is_stderr 0) or
// stderr to *out, reading through `buffer`; true when something arrived.
bool read_available(ssh_channel channel, int is_stderr, std::string* out,
                    std::vector<char>& buffer);
// Waits without the lock for traffic on the connection's socket: at most 5 ms (other
// channels' threads may consume it) and never past `deadline`.
void wait_for_traffic(const Connection& connection, std::chrono::steady_clock::time_point deadline);

}  // namespace cuttle::detail
