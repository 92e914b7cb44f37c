// Initialisation order, the exit handler and finalisation of libssh (see libssh_runtime.h).
#include "adaptors/ssh/libssh_runtime.h"

#include <libssh/libssh.h>
#include <openssl/crypto.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>

#include "cuttle/error.h"
#include "internal/exit_joins.h"

namespace cuttle::detail::libssh {
namespace {

// How long exit waits for poll threads to finish the command in flight: their remote
// commands may time out later than that, but exit must not hang on a dead network.
constexpr std::chrono::seconds kExitWait{10};

struct Runtime {
  std::mutex mutex;
  bool initialised = false;
  bool finalised = false;
  int sessions = 0;  // live SessionHolds
  std::atomic<bool> closed{false};
};

// Leaked on purpose: sessions owned by static objects are released after every other
// destructor has run.
Runtime& runtime() {
  static Runtime* instance = new Runtime;
  return *instance;
}

// REQUIRES: runtime().mutex held.
void finalise_if_unused(Runtime& r) {
  if (r.closed && r.sessions == 0 && r.initialised && !r.finalised) {
    r.finalised = true;
    ssh_finalize();
  }
}

void on_exit() {
  // Poll threads finish the command in flight and end (those that destroyed their own
  // scheduler close its sessions on the way) while libssh and OpenSSL still work.
  stop_exit_aware_threads(kExitWait);
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  r.closed = true;
  finalise_if_unused(r);
}

}  // namespace

SessionHold::SessionHold() {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  if (r.closed) throw ConnectionFailed("the process is exiting: no new SSH connection");
  if (!r.initialised) {
    // OpenSSL registers its exit-time cleanup when first initialised: make that happen
    // now, before our handler is registered, so that ours runs first. The options must
    // not be 0: OPENSSL_init_crypto(0) returns before doing anything, and OpenSSL's
    // handler was then registered later, during the first key exchange, and ran first.
    OPENSSL_init_crypto(OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS, nullptr);
    ssh_init();
    std::atexit(on_exit);
    r.initialised = true;
  }
  ++r.sessions;
}

SessionHold::~SessionHold() {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  --r.sessions;
  finalise_if_unused(r);
}

bool closed() { return runtime().closed.load(); }

}  // namespace cuttle::detail::libssh
