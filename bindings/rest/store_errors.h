// The job store's typed errors. StoreUnavailable: the database cannot be reached (down,
// restarting, all connections broken); the HTTP layer maps it, in one place, to
// `503 Service Unavailable` with `Retry-After`, so clients can tell a transient outage
// from a fault (500). Fenced: a write for a job this instance no longer owns (another
// instance adopted it after this one's lease expired); the write was refused in the
// same transaction and the caller must stop acting on the job.
// Thread-safety: plain value types.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "cuttle/error.h"

namespace cuttle::rest {

class StoreUnavailable : public ConnectionFailed {
 public:
  StoreUnavailable(const std::string& message, std::chrono::milliseconds retry_after)
      : ConnectionFailed("job store unavailable: " + message), retry_after_(retry_after) {}
  // When the store will next try to reconnect; what `Retry-After` says (whole seconds, >= 1).
  std::chrono::milliseconds retry_after() const { return retry_after_; }
  long retry_after_seconds() const {
    return std::max<long>(1, static_cast<long>((retry_after_.count() + 999) / 1000));
  }

 private:
  std::chrono::milliseconds retry_after_;
};

class Fenced : public Error {
 public:
  Fenced(const std::string& job_id, const std::string& owner)
      : Error(ErrorKind::kInternal, "job " + job_id + " is now owned by instance '" + owner +
                                        "'; this instance's lease on it expired (fenced)"),
        job_id_(job_id) {}
  const std::string& job_id() const { return job_id_; }

 private:
  std::string job_id_;
};

}  // namespace cuttle::rest
