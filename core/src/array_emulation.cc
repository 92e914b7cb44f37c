// Job arrays run by Cuttle itself for adaptors without native ones (array_emulation.h).
//
// Lock order: mutex_ is never held while calling the adaptor, publish() or a listener;
// elements are started from a background thread, never from the adaptor's listener thread.
#include "internal/array_emulation.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "cuttle/error.h"
#include "internal/exit_joins.h"
#include "internal/job_key.h"
#include "internal/log.h"
#include "internal/scheduler_base.h"

namespace cuttle::detail {
namespace {

constexpr const char* kComponent = "arrays";

struct Element {
  std::string backend_id;  // empty until started
  JobStatus status;        // the last one published for "ID[INDEX]"
};

struct EmulatedArray {
  JobDescription description;  // without the array spec
  ArraySpec spec;
  std::map<int, Element> elements;
  std::deque<int> pending;  // not started yet, in index order
  int running = 0;          // started and not final
  bool cancelled = false;
  TimePoint submitted;
};

class ArrayEmulation : public SchedulerBase, public std::enable_shared_from_this<ArrayEmulation> {
 public:
  explicit ArrayEmulation(std::shared_ptr<Scheduler> inner) : inner_(std::move(inner)) {}

  void start() {
    std::weak_ptr<ArrayEmulation> weak = weak_from_this();
    subscription_ = inner_->subscribe([weak](const JobStatus& status) {
      if (auto self = weak.lock()) self->on_inner(status);
    });
  }

  std::string adaptor_name() const override { return inner_->adaptor_name(); }
  const Location& location() const override { return inner_->location(); }
  Capabilities capabilities() const override { return inner_->capabilities(); }

  std::string submit(const JobDescription& description) override {
    if (!description.array) return inner_->submit(description);
    description.validate();
    auto array = std::make_shared<EmulatedArray>();
    array->description = description;
    array->description.array.reset();
    array->description.validate();  // refused as an element would be, before any starts
    array->spec = *description.array;
    array->submitted = Clock::now();
    const std::string id = new_job_key();
    for (int index : array->spec.indices()) {
      Element& element = array->elements[index];
      element.status = waiting_status(id, index, *array);
      array->pending.push_back(index);
    }
    {
      std::lock_guard lock(mutex_);
      arrays_[id] = array;
    }
    // The first elements start before submit returns, so that a description the adaptor
    // refuses is the caller's error while nothing of the array runs yet.
    start_elements(id, /*first=*/true);
    for (const auto& [index, element] : array->elements) publish_element(id, index);
    publish_aggregate(id);
    return id;
  }

  std::vector<JobStatus> statuses(const std::vector<std::string>& ids) override {
    std::vector<JobStatus> out;
    for (StatusAnswer& answer : status_answers(ids)) {
      if (!answer.status) throw NoSuchJob(answer.id);
      out.push_back(std::move(*answer.status));
    }
    return out;
  }

  std::vector<StatusAnswer> status_answers(const std::vector<std::string>& ids) override {
    std::vector<StatusAnswer> out(ids.size());
    std::vector<std::string> passed;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      out[i].id = ids[i];
      if (is_ours(ids[i])) {
        if (auto status = cached(ids[i])) {
          out[i].status = std::move(status);
        } else {
          out[i].missing = NoSuchJob(ids[i]).what() + std::string(": no such array element");
        }
      } else {
        passed.push_back(ids[i]);
        where.push_back(i);
      }
    }
    if (!passed.empty()) {
      std::vector<StatusAnswer> answers = inner_->status_answers(passed);
      for (std::size_t j = 0; j < answers.size(); ++j) out[where[j]] = std::move(answers[j]);
    }
    return out;
  }

  JobStatus cancel(const std::string& id) override {
    if (!is_ours(id)) return inner_->cancel(id);
    const auto element = parse_array_element_id(id);
    const std::string array_id = element ? element->first : id;
    std::vector<std::string> running;
    std::vector<int> dropped;
    {
      std::lock_guard lock(mutex_);
      auto it = arrays_.find(array_id);
      if (it == arrays_.end()) throw NoSuchJob(id);
      EmulatedArray& array = *it->second;
      if (element && !array.elements.count(element->second)) throw NoSuchJob(id);
      if (!element) array.cancelled = true;
      for (auto& [index, e] : array.elements) {
        if (element && index != element->second) continue;
        if (is_final(e.status.state)) continue;
        if (e.backend_id.empty()) {
          // Pending, or being submitted right now: then start_elements() cancels the job it
          // gets back (the element is final by then) and frees its slot.
          array.pending.erase(std::remove(array.pending.begin(), array.pending.end(), index),
                              array.pending.end());
          e.status.state = JobState::kCancelled;
          e.status.reason = "cancelled before it ran";
          e.status.finished = Clock::now();
          dropped.push_back(index);
        } else {
          running.push_back(e.backend_id);
        }
      }
    }
    for (int index : dropped) publish_element(array_id, index);
    for (const std::string& backend : running) {
      try {
        on_inner(inner_->cancel(backend));
      } catch (const NoSuchJob&) {
      }
    }
    publish_aggregate(array_id);
    return *cached(id);
  }

  JobStatus wait_until_running(const std::string& id, std::chrono::milliseconds timeout) override {
    if (!is_ours(id)) return inner_->wait_until_running(id, timeout);
    return SchedulerBase::wait_until_running(id, timeout);
  }
  JobStatus wait_until_done(const std::string& id, std::chrono::milliseconds timeout) override {
    if (!is_ours(id)) return inner_->wait_until_done(id, timeout);
    return SchedulerBase::wait_until_done(id, timeout);
  }

  JobStatus extend(const std::string& id, std::chrono::seconds by) override {
    if (!is_ours(id)) return inner_->extend(id, by);
    const std::string backend = backend_of(id);
    if (backend.empty()) {
      throw InvalidArgument("extend: " + id +
                            " is an array or an element not started yet; extend a running "
                            "element (ID[INDEX])");
    }
    on_inner(inner_->extend(backend, by));
    return *cached(id);
  }

  std::vector<QueueInfo> queues() override { return inner_->queues(); }
  std::shared_ptr<FileSystem> job_files() override { return inner_->job_files(); }

  std::vector<std::string> jobs(const std::string& queue) override {
    std::vector<std::string> ids;
    std::map<std::string, std::string> elements;  // backend id -> element id
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, array] : arrays_) {
        if (!queue.empty() && array->description.queue != queue) continue;
        ids.push_back(id);
        for (const auto& [index, e] : array->elements) {
          if (!e.backend_id.empty()) elements[e.backend_id] = array_element_id(id, index);
        }
      }
    }
    for (std::string& id : inner_->jobs(queue)) {
      auto it = elements.find(id);
      ids.push_back(it == elements.end() ? std::move(id) : it->second);
    }
    return ids;
  }

  std::vector<std::string> find_by_name(const std::string& name) override {
    return inner_->find_by_name(name);
  }

  std::shared_ptr<Subscription> subscribe(StatusListener listener) override {
    // Arrays and elements from our table; every other job straight from the adaptor,
    // without the elements' own ids (their changes arrive as "ID[INDEX]").
    struct Both : Subscription {
      std::shared_ptr<Subscription> ours, inner;
    };
    auto both = std::make_shared<Both>();
    both->ours = SchedulerBase::subscribe(listener);
    std::weak_ptr<ArrayEmulation> weak = weak_from_this();
    both->inner = inner_->subscribe([weak, listener](const JobStatus& status) {
      auto self = weak.lock();
      if (!self || self->is_element_backend(status.id)) return;
      listener(status);
    });
    return both;
  }

  void track(const std::string& id) override {
    if (is_ours(id)) return;
    if (parse_array_element_id(id)) {
      throw NoSuchJob(id +
                      ": arrays run by Cuttle are known only to the process that "
                      "submitted them (docs/arrays.md)");
    }
    inner_->track(id);
  }

  void forget(const std::string& id) override {
    if (!is_ours(id) || parse_array_element_id(id)) {
      if (!is_ours(id)) inner_->forget(id);
      return;
    }
    std::vector<std::string> backends;
    {
      std::lock_guard lock(mutex_);
      auto it = arrays_.find(id);
      if (it == arrays_.end()) return;
      for (const auto& [index, e] : it->second->elements) {
        if (!is_final(e.status.state)) return;
      }
      for (const auto& [index, e] : it->second->elements) {
        if (!e.backend_id.empty()) {
          backends.push_back(e.backend_id);
          element_of_.erase(e.backend_id);
        }
        SchedulerBase::forget(array_element_id(id, index));
      }
      arrays_.erase(it);
    }
    for (const std::string& backend : backends) inner_->forget(backend);
    SchedulerBase::forget(id);
  }

 private:
  bool is_ours(const std::string& id) const {
    const auto element = parse_array_element_id(id);
    std::lock_guard lock(mutex_);
    return arrays_.count(element ? element->first : id) > 0;
  }

  bool is_element_backend(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return element_of_.count(id) > 0;
  }

  std::string backend_of(const std::string& id) const {
    const auto element = parse_array_element_id(id);
    if (!element) return {};
    std::lock_guard lock(mutex_);
    auto it = arrays_.find(element->first);
    if (it == arrays_.end()) return {};
    auto e = it->second->elements.find(element->second);
    return e == it->second->elements.end() ? std::string() : e->second.backend_id;
  }

  static JobStatus waiting_status(const std::string& array_id, int index,
                                  const EmulatedArray& array) {
    JobStatus status;
    status.id = array_element_id(array_id, index);
    status.state = JobState::kQueued;
    status.native_state = "waiting";
    status.reason = array.spec.throttle ? "waiting for the array's throttle (%" +
                                              std::to_string(*array.spec.throttle) + ")"
                                        : "waiting to be started";
    status.submitted = array.submitted;
    status.scheduler_info["array_index"] = std::to_string(index);
    return status;
  }

  // Starts pending elements while the throttle allows. An element the adaptor refuses
  // ends as Error and the next one is tried; on the first call, a refusal while no element
  // runs yet forgets the array and throws (submit's caller gets the adaptor's error).
  void start_elements(const std::string& array_id, bool first = false) {
    for (;;) {
      JobDescription description;
      int index = 0;
      {
        std::lock_guard lock(mutex_);
        auto it = arrays_.find(array_id);
        if (it == arrays_.end()) return;
        EmulatedArray& array = *it->second;
        if (array.cancelled || array.pending.empty()) return;
        if (array.spec.throttle && array.running >= *array.spec.throttle) return;
        index = array.pending.front();
        array.pending.pop_front();
        ++array.running;
        description = array.description;
      }
      description.environment["CUTTLE_ARRAY_INDEX"] = std::to_string(index);
      std::string backend;
      try {
        backend = inner_->submit(description);
      } catch (const std::exception& e) {
        if (first && nothing_started(array_id)) {
          std::lock_guard lock(mutex_);
          arrays_.erase(array_id);
          throw;
        }
        fail_element(array_id, index, e.what());
        continue;
      }
      bool cancelled_meanwhile = false;
      {
        std::lock_guard lock(mutex_);
        auto it = arrays_.find(array_id);
        if (it == arrays_.end()) return;
        Element& element = it->second->elements[index];
        element.backend_id = backend;
        element_of_[backend] = {array_id, index};
        cancelled_meanwhile = is_final(element.status.state);
        if (cancelled_meanwhile) --it->second->running;
      }
      if (cancelled_meanwhile) {
        try {
          inner_->cancel(backend);
        } catch (const Error& e) {
          log(LogLevel::kWarn, kComponent, "cancel of an element cancelled while it started",
              {{"id", array_element_id(array_id, index)}, {"error", e.what()}});
        }
        continue;
      }
      // Whatever the adaptor published before the id was known here.
      try {
        on_inner(inner_->status(backend));
      } catch (const Error& e) {
        log(LogLevel::kWarn, kComponent, "status of a new element failed",
            {{"id", array_element_id(array_id, index)}, {"error", e.what()}});
      }
    }
  }

  bool nothing_started(const std::string& array_id) const {
    std::lock_guard lock(mutex_);
    auto it = arrays_.find(array_id);
    if (it == arrays_.end()) return true;
    for (const auto& [index, e] : it->second->elements) {
      if (!e.backend_id.empty()) return false;
    }
    return true;
  }

  void fail_element(const std::string& array_id, int index, const std::string& why) {
    {
      std::lock_guard lock(mutex_);
      auto it = arrays_.find(array_id);
      if (it == arrays_.end()) return;
      Element& e = it->second->elements[index];
      --it->second->running;
      e.status.state = JobState::kError;
      e.status.error = "submit failed: " + why;
      e.status.reason = *e.status.error;
      e.status.finished = Clock::now();
    }
    publish_element(array_id, index);
  }

  void on_inner(const JobStatus& reported) {
    std::string array_id;
    int index = 0;
    bool ended = false;
    {
      std::lock_guard lock(mutex_);
      auto mapped = element_of_.find(reported.id);
      if (mapped == element_of_.end()) return;
      std::tie(array_id, index) = mapped->second;
      auto it = arrays_.find(array_id);
      if (it == arrays_.end()) return;
      Element& e = it->second->elements[index];
      if (is_final(e.status.state)) return;
      ended = is_final(reported.state);
      if (ended) --it->second->running;
      e.status = reported;
      e.status.id = array_element_id(array_id, index);
      e.status.scheduler_info["array_index"] = std::to_string(index);
      e.status.scheduler_info["backend_id"] = reported.id;
    }
    publish_element(array_id, index);
    publish_aggregate(array_id);
    if (ended) {
      std::weak_ptr<ArrayEmulation> weak = weak_from_this();
      run_in_background([weak, array_id] {
        if (auto self = weak.lock()) self->start_elements(array_id);
      });
    }
  }

  void publish_element(const std::string& array_id, int index) {
    JobStatus status;
    {
      std::lock_guard lock(mutex_);
      auto it = arrays_.find(array_id);
      if (it == arrays_.end()) return;
      status = it->second->elements[index].status;
    }
    publish(std::move(status));
  }

  void publish_aggregate(const std::string& array_id) {
    JobStatus status;
    {
      std::lock_guard lock(mutex_);
      auto it = arrays_.find(array_id);
      if (it == arrays_.end()) return;
      const EmulatedArray& array = *it->second;
      status.id = array_id;
      status.submitted = array.submitted;
      int ended = 0;
      for (const auto& [index, e] : array.elements) {
        status.array_elements.push_back({index, e.status.state, e.status.exit_code});
        if (e.status.started && (!status.started || *e.status.started < *status.started)) {
          status.started = e.status.started;
        }
        if (is_final(e.status.state)) {
          ++ended;
          if (e.status.finished && (!status.finished || *e.status.finished > *status.finished)) {
            status.finished = e.status.finished;
          }
        }
      }
      status.state = aggregate_array_state(status.array_elements);
      status.exit_code = aggregate_array_exit_code(status.array_elements);
      if (!is_final(status.state)) status.finished.reset();
      status.native_state = "array";
      status.reason = std::to_string(ended) + " of " + std::to_string(array.elements.size()) +
                      " elements ended";
      if (status.state == JobState::kError) status.error = "an element ended in Error";
      status.scheduler_info["array"] = array.spec.to_string();
    }
    publish(std::move(status));
  }

  std::shared_ptr<Scheduler> inner_;
  std::shared_ptr<Subscription> subscription_;
  mutable std::mutex mutex_;  // guards arrays_ and element_of_
  std::map<std::string, std::shared_ptr<EmulatedArray>> arrays_;
  std::map<std::string, std::pair<std::string, int>> element_of_;  // backend id -> element
};

}  // namespace

std::shared_ptr<Scheduler> make_array_emulation(std::shared_ptr<Scheduler> managed) {
  if (managed->capabilities().native_arrays) return managed;
  auto emulation = std::make_shared<ArrayEmulation>(std::move(managed));
  emulation->start();
  return emulation;
}

}  // namespace cuttle::detail
