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
                         Hooks hooks)
    : connector_(std::move(connector)),
      connection_(std::move(connection)),
      hooks_(std::move(hooks)),
      sessions_(std::max<std::size_t>(1, size)),
      busy_(sessions_.size(), false) {}

SessionPool::~SessionPool() { close_buried(); }

SessionPool::Lease::~Lease() {
  if (pool_) pool_->release(slot_);
}

Poco::Data::Session& SessionPool::Lease::session() { return *pool_->sessions_[slot_]; }

void SessionPool::Lease::discard() {
  std::unique_ptr<Poco::Data::Session> broken;
  {
    std::lock_guard lock(pool_->mutex_);
    broken = std::move(pool_->sessions_[slot_]);
  }
  pool_->bury(std::move(broken));
}

void SessionPool::bury(std::unique_ptr<Poco::Data::Session> session) {
  if (!session || !hooks_.revive) return;
  std::lock_guard lock(buried_mutex_);
  if (buried_.size() < kBuriedLimit) buried_.push_back(std::move(session));
}

void SessionPool::close_buried() {
  std::vector<std::unique_ptr<Poco::Data::Session>> buried;
  {
    std::lock_guard lock(buried_mutex_);
    buried.swap(buried_);
  }
  for (auto& session : buried) {
    bool revived = false;
    try {
      revived = hooks_.revive(*session);
    } catch (const std::exception&) {
    }
    if (revived) {
      session.reset();
    } else {
      bury(std::move(session));
    }
  }
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
  bool reconnected = false;
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
    reconnected = true;
  }
  busy_[slot] = true;
  lock.unlock();
  if (reconnected) close_buried();  // the database answers again
  return Lease(*this, slot);
}

std::unique_ptr<Poco::Data::Session> SessionPool::connect() {
  if (hooks_.probe) hooks_.probe();
  auto session = std::make_unique<Poco::Data::Session>(connector_, connection_);
  if (hooks_.on_open) hooks_.on_open(*session);
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
