// The one rule for "lost": a job that no source knows any more (queue, accounting, marker
// files, a live wrapper) is given a grace window from the moment it was first found
// missing; only when the window has passed is it reported Error with reason "lost" —
// never Completed because it vanished. The window is the `lost.grace` property (one
// default, common_properties.h). Batch, ssh and the REST service use this rule.
// Thread-safety: MissingClock is a value owned by one job's record; guard it with that
// record's lock. LostRule is immutable.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cuttle/job_status.h"

namespace cuttle::detail {

inline constexpr std::chrono::milliseconds kDefaultLostGrace{60000};

// When a job was first found missing, reset whenever any source knows it again.
class MissingClock {
 public:
  void found() { since_.reset(); }
  // Records one observation that found the job nowhere; returns since when it is missing.
  TimePoint missing(TimePoint now) {
    if (!since_) since_ = now;
    return *since_;
  }
  const std::optional<TimePoint>& since() const { return since_; }

 private:
  std::optional<TimePoint> since_;
};

class LostRule {
 public:
  explicit LostRule(std::chrono::milliseconds grace = kDefaultLostGrace) : grace_(grace) {}
  std::chrono::milliseconds grace() const { return grace_; }
  // True once the job has been missing for the whole grace window.
  bool lost(const std::optional<TimePoint>& missing_since, TimePoint now) const {
    return missing_since && now - *missing_since >= grace_;
  }
  // The Error status of a lost job: reason "lost", `what` says what was looked at.
  static JobStatus lost_status(const std::string& id, std::string what) {
    JobStatus status;
    status.id = id;
    status.state = JobState::kError;
    status.native_state = "lost";
    status.reason = "lost";
    status.error = std::move(what);
    return status;
  }

 private:
  std::chrono::milliseconds grace_;
};

}  // namespace cuttle::detail
