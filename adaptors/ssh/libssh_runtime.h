// The process's libssh (and, through it, OpenSSL) lifetime, owned in one place.
// OpenSSL frees its global state in an exit handler; a session used or torn down by
// another thread after that crashed the process at exit (RAND_bytes, EVP_*). The rules:
//  - init order: OpenSSL is initialised first, so its exit-time cleanup is registered
//    first and runs last; then ssh_init(); then our exit handler, which runs before it;
//  - every thread that touches libssh (scheduler poll loops, keep-alive, jump-tunnel
//    pumps) is exit-aware (core exit_joins.h) and joined by its owner, or handed over to
//    be joined at exit when it destroyed its own owner; none is detached;
//  - our exit handler asks every exit-aware thread to stop and waits for it (bounded)
//    while libssh still works, then closes libssh: no new session opens, a session
//    destroyed later (owned by a static object) leaves its socket to the kernel, and
//    ssh_finalize() runs once the last session is gone.
// Thread-safety: every function may be called from any thread.
#pragma once

namespace cuttle::detail::libssh {

// A session's hold on libssh, taken before ssh_new() and released after ssh_free():
// libssh is initialised while one exists, and finalised after the last one is released
// once the process is exiting. Throws ConnectionFailed when the process is exiting.
class SessionHold {
 public:
  SessionHold();
  ~SessionHold();
  SessionHold(const SessionHold&) = delete;
  SessionHold& operator=(const SessionHold&) = delete;
};

// True once the exit handler closed libssh: no libssh or OpenSSL call may be made.
bool closed();

}  // namespace cuttle::detail::libssh
