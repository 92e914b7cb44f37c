// A Scheduler that forwards every call to another one: the base for test decorators that
// inject a fault around one call (leveldb's EnvWrapper, for schedulers).
// Thread-safety: as the wrapped scheduler's; the wrapper adds no state.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cuttle/scheduler.h"

namespace cuttle::rest::testing {

class ForwardingScheduler : public Scheduler {
 public:
  explicit ForwardingScheduler(std::shared_ptr<Scheduler> target) : target_(std::move(target)) {}

  std::string adaptor_name() const override { return target_->adaptor_name(); }
  const Location& location() const override { return target_->location(); }
  Capabilities capabilities() const override { return target_->capabilities(); }
  std::string submit(const JobDescription& description) override {
    return target_->submit(description);
  }
  std::vector<JobStatus> statuses(const std::vector<std::string>& ids) override {
    return target_->statuses(ids);
  }
  JobStatus cancel(const std::string& id) override { return target_->cancel(id); }
  JobStatus wait_until_running(const std::string& id, std::chrono::milliseconds timeout) override {
    return target_->wait_until_running(id, timeout);
  }
  JobStatus wait_until_done(const std::string& id, std::chrono::milliseconds timeout) override {
    return target_->wait_until_done(id, timeout);
  }
  JobStatus extend(const std::string& id, std::chrono::seconds by) override {
    return target_->extend(id, by);
  }
  std::vector<QueueInfo> queues() override { return target_->queues(); }
  std::vector<std::string> jobs(const std::string& queue) override { return target_->jobs(queue); }
  std::vector<std::string> find_by_name(const std::string& name) override {
    return target_->find_by_name(name);
  }
  std::shared_ptr<Subscription> subscribe(StatusListener listener) override {
    return target_->subscribe(std::move(listener));
  }
  void track(const std::string& id) override { target_->track(id); }
  void forget(const std::string& id) override { target_->forget(id); }

 protected:
  Scheduler& target() { return *target_; }

 private:
  std::shared_ptr<Scheduler> target_;
};

}  // namespace cuttle::rest::testing
