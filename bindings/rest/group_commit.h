// Group commit of the job store's inserts: concurrent callers queue their write and wait;
// the first of them that finds no commit running writes everything queued behind it in
// one transaction (one fsync), then wakes every member of that group with its own outcome
// (the leader/follower scheme of LevelDB's DBImpl::Write: no committer thread to switch
// to). A group that fails is written again row by row, so one bad row fails alone; a
// store that cannot be reached fails the whole group with StoreUnavailable (nothing to
// gain row by row). Nobody returns before the transaction holding its row has committed.
// Thread-safety: write() from any thread; the functions run on the leader's thread, one
// group at a time.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
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

  GroupCommit(WriteGroup group, WriteOne one, std::size_t max_group = 1000)
      : group_(std::move(group)), one_(std::move(one)), max_group_(max_group) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Returns once `item` is committed; throws what writing it threw. `item` is only
  // referred to, never copied.
  void write(const Item& item) {
    Member self;
    self.item = &item;
    std::unique_lock lock(mutex_);
    queue_.push_back(&self);
    self.wake.wait(lock, [&] { return self.done || queue_.front() == &self; });
    if (!self.done) lead(self, lock);
    if (self.error) std::rethrow_exception(self.error);
  }

 private:
  struct Member {
    const Item* item = nullptr;
    std::exception_ptr error;
    bool done = false;
    std::condition_variable wake;
  };

  // REQUIRES: `lock` held, `self` at the front of the queue.
  void lead(Member& self, std::unique_lock<std::mutex>& lock) {
    const std::size_t n = std::min(queue_.size(), max_group_);
    std::vector<Member*> members(queue_.begin(), queue_.begin() + static_cast<long>(n));
    lock.unlock();
    commit(members);
    lock.lock();
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(n));
    for (Member* m : members) {
      m->done = true;
      if (m != &self) m->wake.notify_one();
    }
    if (!queue_.empty()) queue_.front()->wake.notify_one();
  }

  void commit(const std::vector<Member*>& members) noexcept {
    try {
      std::vector<const Item*> items;
      items.reserve(members.size());
      for (const Member* m : members) items.push_back(m->item);
      group_(items);
      return;
    } catch (const StoreUnavailable&) {
      for (Member* m : members) m->error = std::current_exception();
      return;
    } catch (...) {
      if (members.size() == 1) {
        members[0]->error = std::current_exception();
        return;
      }
    }
    for (Member* m : members) {
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
  std::mutex mutex_;
  std::deque<Member*> queue_;  // the front leads the next group (or is committing it)
};

}  // namespace cuttle::rest
