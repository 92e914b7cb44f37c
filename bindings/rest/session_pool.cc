#include "bindings/rest/session_pool.h"

#include <Poco/Exception.h>

#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;

namespace {
constexpr std::chrono::milliseconds kBackoffFirst{100};
constexpr std::chrono::milliseconds kBackoffMax{5'000};
}  // namespace

SessionPool::SessionPool(std::string connector, std::string connection, std::size_t size,
                         std::function<void(Poco::Data::Session&)> on_open,
                         std::function<void()> probe)
    : connector_(std::move(connector)),
      connection_(std::move(connection)),
      on_open_(std::move(on_open)),
      probe_(std::move(probe)),
      sessions_(std::max<std::size_t>(1, size)),
      busy_(sessions_.size(), false) {}

SessionPool::Lease::~Lease() {
  if (pool_) pool_->release(slot_);
}

Poco::Data::Session& SessionPool::Lease::session() { return *pool_->sessions_[slot_]; }

void SessionPool::Lease::discard() {
  std::lock_guard lock(pool_->mutex_);
  pool_->sessions_[slot_].reset();
}

std::chrono::milliseconds SessionPool::until_retry_locked() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      next_connect_ - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

SessionPool::Lease SessionPool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  std::size_t slot = busy_.size();
  const auto free_slot = [&] {
    // Connected sessions first: a fresh connect is only paid when none is idle.
    for (std::size_t i = 0; i < busy_.size(); ++i) {
      if (!busy_[i] && sessions_[i]) return slot = i, true;
    }
    for (std::size_t i = 0; i < busy_.size(); ++i) {
      if (!busy_[i]) return slot = i, true;
    }
    return false;
  };
  if (!released_.wait_for(lock, wait, free_slot)) {
    throw StoreUnavailable("every database connection is busy", std::chrono::seconds(1));
  }
  if (!sessions_[slot]) {
    if (std::chrono::steady_clock::now() < next_connect_) {
      throw StoreUnavailable(last_error_, until_retry_locked());
    }
    busy_[slot] = true;
    lock.unlock();
    std::unique_ptr<Poco::Data::Session> session;
    std::string error;
    try {
      session = connect();
    } catch (const Poco::Exception& e) {
      error = e.displayText();
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    busy_[slot] = false;
    if (!session) {
      released_.notify_one();
      const std::chrono::milliseconds backoff =
          std::min(kBackoffMax, kBackoffFirst * (1 << std::min(failures_, 10)));
      ++failures_;
      next_connect_ = std::chrono::steady_clock::now() + backoff;
      if (healthy_) {
        log(LogLevel::kError, "rest.store", "cannot connect to the job store; retrying",
            {{"error", error}});
      }
      healthy_ = false;
      last_error_ = error;
      throw StoreUnavailable(error, backoff);
    }
    if (!healthy_) log(LogLevel::kInfo, "rest.store", "job store reachable again", {});
    sessions_[slot] = std::move(session);
    failures_ = 0;
    healthy_ = true;
    last_error_.clear();
  }
  busy_[slot] = true;
  return Lease(*this, slot);
}

std::unique_ptr<Poco::Data::Session> SessionPool::connect() {
  if (probe_) probe_();
  auto session = std::make_unique<Poco::Data::Session>(connector_, connection_);
  if (on_open_) on_open_(*session);
  return session;
}

void SessionPool::release(std::size_t slot) {
  {
    std::lock_guard lock(mutex_);
    busy_[slot] = false;
  }
  released_.notify_one();
}

void SessionPool::report_failure(const std::string& error) {
  std::lock_guard lock(mutex_);
  if (healthy_) {
    log(LogLevel::kError, "rest.store", "lost the job store connection", {{"error", error}});
  }
  healthy_ = false;
  last_error_ = error;
}

bool SessionPool::healthy() const {
  std::lock_guard lock(mutex_);
  return healthy_;
}

std::string SessionPool::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

}  // namespace cuttle::rest
