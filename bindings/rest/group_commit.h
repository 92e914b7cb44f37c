// Group commit of the job store's inserts: callers queue their write; one committer
// thread writes everything queued meanwhile (up to max_group) in one transaction (one
// fsync), then tells every member of that group its own outcome. A caller either waits
// (write) or leaves a completion and returns at once (write_async): the REST service
// answers POST /job from that completion, so no thread is parked per request. A group
// that fails is written again row by row, so one bad row fails alone; a store that cannot
// be reached fails the whole group with StoreUnavailable (nothing to gain row by row).
// No completion runs, and no write() returns, before the transaction holding its row has
// committed.
// Thread-safety: write() and write_async() from any thread; the write functions and the
// completions run on the committer thread, one group at a time.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "bindings/rest/store_errors.h"

namespace cuttle::rest {

template <typename Item>
class GroupCommit {
 public:
  // `group`: writes every item in one transaction, or throws having written none.
  // `one`: writes one item in its own transaction, or throws.
  using WriteGroup = std::function<void(const std::vector<const Item*>&)>;
  using WriteOne = std::function<void(const Item&)>;
  // Told, once, nullptr when the item is committed, else what writing it threw.
  // REQUIRES: does not block (it runs on the committer thread, before the next group).
  using Done = std::function<void(std::exception_ptr)>;

  GroupCommit(WriteGroup group, WriteOne one, std::size_t max_group = 1000)
      : group_(std::move(group)), one_(std::move(one)), max_group_(max_group) {
    committer_ = std::thread([this] { commit_loop(); });
  }
  // Commits what is queued, then stops.
  ~GroupCommit() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    committer_.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Returns once `item` is committed; throws what writing it threw. `item` is only
  // referred to, never copied.
  void write(const Item& item) {
    std::mutex mutex;
    std::condition_variable committed;
    std::optional<std::exception_ptr> outcome;
    enqueue(std::make_unique<Member>(nullptr, &item, [&](std::exception_ptr error) {
      std::lock_guard lock(mutex);
      outcome = error;
      committed.notify_one();
    }));
    std::unique_lock lock(mutex);
    committed.wait(lock, [&] { return outcome.has_value(); });
    if (*outcome) std::rethrow_exception(*outcome);
  }

  // Queues `item` (moved in) and returns; `done` is called once it is committed or failed.
  void write_async(Item item, Done done) {
    auto owned = std::make_unique<Item>(std::move(item));
    const Item* raw = owned.get();
    enqueue(std::make_unique<Member>(std::move(owned), raw, std::move(done)));
  }

 private:
  struct Member {
    Member(std::unique_ptr<Item> o, const Item* i, Done d)
        : owned(std::move(o)), item(i), done(std::move(d)) {}
    std::unique_ptr<Item> owned;  // write_async's copy; write() refers to the caller's
    const Item* item;
    Done done;
    std::exception_ptr error;
  };

  void enqueue(std::unique_ptr<Member> member) {
    bool was_idle = false;
    {
      std::lock_guard lock(mutex_);
      was_idle = queue_.empty() && !committing_;
      queue_.push_back(std::move(member));
    }
    // A busy committer looks at the queue again before it sleeps: no wake needed.
    if (was_idle) wake_.notify_one();
  }

  void commit_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      const std::size_t n = std::min(queue_.size(), max_group_);
      std::vector<std::unique_ptr<Member>> members;
      members.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        members.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      committing_ = true;
      lock.unlock();
      commit(members);
      for (const auto& m : members) {
        try {
          m->done(m->error);
        } catch (...) {
          // A completion that throws (out of memory) must not end the committer, which
          // every later write waits on; the others of its group are still told.
        }
      }
      members.clear();  // the owned items go before the lock is taken again
      lock.lock();
      committing_ = false;
    }
  }

  void commit(const std::vector<std::unique_ptr<Member>>& members) noexcept {
    try {
      std::vector<const Item*> items;
      items.reserve(members.size());
      for (const auto& m : members) items.push_back(m->item);
      group_(items);
      return;
    } catch (const StoreUnavailable&) {
      for (const auto& m : members) m->error = std::current_exception();
      return;
    } catch (...) {
      if (members.size() == 1) {
        members[0]->error = std::current_exception();
        return;
      }
    }
    for (const auto& m : members) {
      try {
        one_(*m->item);
      } catch (...) {
        m->error = std::current_exception();
      }
    }
  }

  const WriteGroup group_;
  const WriteOne one_;
  const std::size_t max_group_;
  std::mutex mutex_;  // guards the members below
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Member>> queue_;  // the next group
  bool committing_ = false;
  bool stopping_ = false;
  std::thread committer_;  // last: started once everything above exists
};

}  // namespace cuttle::rest
