#include "bindings/rest/finished_documents.h"

namespace cuttle::rest {

FinishedDocuments::FinishedDocuments(std::size_t max_bytes, std::chrono::milliseconds ttl)
    : max_bytes_(max_bytes), ttl_(ttl) {}

// What an entry holds, with the list node and the index slot (roughly).
std::size_t FinishedDocuments::cost(const Item& item) {
  return item.id.capacity() * 2 + item.document.capacity() + 128;
}

void FinishedDocuments::remove_locked(std::list<Item>::iterator it) {
  bytes_ -= cost(*it);
  index_.erase(it->id);
  recent_.erase(it);
}

std::optional<std::string> FinishedDocuments::get(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(id);
  if (found == index_.end()) return std::nullopt;
  if (Clock::now() >= found->second->expires) {
    remove_locked(found->second);
    return std::nullopt;
  }
  recent_.splice(recent_.begin(), recent_, found->second);
  return found->second->document;
}

void FinishedDocuments::put(const std::string& id, std::string document) {
  Item item{id, std::move(document), Clock::now() + ttl_};
  if (cost(item) > max_bytes_) return;
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(id); found != index_.end()) remove_locked(found->second);
  bytes_ += cost(item);
  recent_.push_front(std::move(item));
  index_[id] = recent_.begin();
  while (bytes_ > max_bytes_) remove_locked(std::prev(recent_.end()));
}

void FinishedDocuments::erase(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(id); found != index_.end()) remove_locked(found->second);
}

std::size_t FinishedDocuments::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace cuttle::rest
