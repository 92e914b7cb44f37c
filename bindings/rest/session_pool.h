// A fixed-size pool of Poco::Data sessions to the job store's database that survives the
// database going away: a session found broken is dropped and reopened on a later call,
// reconnects are spaced by exponential backoff (shared by the whole pool, so a dead
// server is not hammered by every request), and while a reconnect is not due every
// acquire fails at once with StoreUnavailable naming when to retry.
// Thread-safety: acquire() from any thread; a Lease is used by one thread at a time.
#pragma once

#include <Poco/Data/Session.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bindings/rest/store_errors.h"

namespace cuttle::rest {

class SessionPool {
 public:
  // What the pool runs around a connection's life; each may be empty.
  struct Hooks {
    // On every new session (pragmas, settings); may throw.
    std::function<void(Poco::Data::Session&)> on_open;
    // Before each connection attempt: throws, with the reason, when the database cannot
    // be reached now.
    std::function<void()> probe;
    // On a discarded (broken) session, once the database is reachable again: true when
    // the session can now be destroyed without leaking (see sql_job_store.cc); until
    // then it is kept, at most kBuriedLimit of them.
    std::function<bool(Poco::Data::Session&)> revive;
  };
  static constexpr std::size_t kBuriedLimit = 64;

  // `connector` is a Poco::Data connector name ("PostgreSQL", "SQLite").
  SessionPool(std::string connector, std::string connection, std::size_t size, Hooks hooks);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  class Lease {
   public:
    Lease(SessionPool& pool, std::size_t slot) : pool_(&pool), slot_(slot) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), slot_(other.slot_) {
      other.pool_ = nullptr;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Poco::Data::Session& session();
    // The connection is broken: close it; the next acquire reconnects.
    void discard();

   private:
    SessionPool* pool_;
    std::size_t slot_;
  };

  // A connected session, or StoreUnavailable when none can be had now (the database
  // refused the connection, or a reconnect is not due yet). Waits at most `wait` for a
  // free slot when every session is in use.
  Lease acquire(std::chrono::milliseconds wait = std::chrono::milliseconds(10'000));

  // Whether the last attempt to use the database succeeded.
  bool healthy() const;
  // The last connection error, empty when healthy.
  std::string last_error() const;

  // The store reports a connection that failed mid-statement here (and discards it).
  void report_failure(const std::string& error);

 private:
  friend class Lease;
  void release(std::size_t slot);
  std::unique_ptr<Poco::Data::Session> connect();
  std::chrono::milliseconds until_retry_locked() const;
  // A broken session: destroyed now, or kept for revive (Hooks).
  void bury(std::unique_ptr<Poco::Data::Session> session);
  // Revives and destroys the buried sessions it can (the database answers again).
  void close_buried();

  const std::string connector_;
  const std::string connection_;
  const Hooks hooks_;

  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<Poco::Data::Session>> sessions_;
  std::vector<bool> busy_;
  bool healthy_ = true;
  std::string last_error_;
  int failures_ = 0;  // consecutive failed connects: the backoff exponent
  std::chrono::steady_clock::time_point next_connect_{};

  std::mutex buried_mutex_;  // guards buried_
  std::vector<std::unique_ptr<Poco::Data::Session>> buried_;
};

}  // namespace cuttle::rest
