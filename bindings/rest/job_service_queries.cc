// Answers about jobs: the status document (memory for active jobs, then the cache of
// final documents, then the store), listing with page tokens, the event journal, and
// waiting for a change (the event stream).
#include "bindings/rest/job_service.h"

#include <limits>
#include <map>

#include "bindings/rest/job_service_helpers.h"
#include "cuttle/error.h"

namespace cuttle::rest {

using nlohmann::json;
using service_detail::dump;

std::shared_ptr<JobService::Entry> JobService::find(const std::string& id) const {
  std::shared_lock lock(cache_mutex_);
  auto it = cache_.find(id);
  return it == cache_.end() ? nullptr : it->second;
}

std::string JobService::render(const json& echo, const std::string& status_json) const {
  return "{\"request\":" + dump(echo) + ",\"status\":" + status_json + "}";
}

std::optional<std::string> JobService::document_from_store(const std::string& id) {
  auto row = store_->get_job(id);
  if (!row) return std::nullopt;
  json internal = json::parse(row->request, nullptr, false);
  if (internal.is_object()) strip_internal(internal);
  std::string document = render(internal, with_owner_state(*row));
  if (row->final) finished_documents_.put(id, document);
  return document;
}

std::optional<std::string> JobService::document_in_memory(const std::string& id) {
  {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(id);
    if (it != cache_.end()) return it->second->document;
  }
  return finished_documents_.get(id);
}

std::optional<std::string> JobService::document(const std::string& id) {
  if (auto document = document_in_memory(id)) return document;
  return document_from_store(id);
}

bool JobService::is_final(const std::string& id) {
  if (auto entry = find(id)) {
    std::shared_lock lock(cache_mutex_);
    return entry->final;
  }
  auto row = store_->get_job(id);
  return !row || row->final;
}

namespace {

// The store's seq after which a page starts; RequestError for a token not issued here.
std::int64_t token_seq(const std::string& token) {
  if (token.empty()) return 0;
  if (token.size() > 18 || token.find_first_not_of("0123456789") != std::string::npos) {
    throw RequestError(400, "page_token", "is not a token this service issued");
  }
  return std::stoll(token);
}

}  // namespace

JobService::Page JobService::list(const std::vector<std::string>& states, std::size_t limit,
                                  const std::string& token) {
  const std::int64_t after = token_seq(token);
  // Reference words -> Cuttle's states.
  JobListFilter filter;
  for (const auto& s : states) {
    static const std::map<std::string, std::vector<JobState>> kMap = {
        {"INITIAL", {JobState::kNew}},
        {"PENDING", {JobState::kStagingIn, JobState::kQueued}},
        {"RUNNING", {JobState::kRunning, JobState::kStagingOut}},
        {"DONE", {JobState::kCompleted, JobState::kFailed}},
        {"KILLED", {JobState::kCancelled, JobState::kExpired}},
        {"ERROR", {JobState::kError, JobState::kFailed}}};
    auto it = kMap.find(s);
    if (it == kMap.end()) {
      throw RequestError(
          400, "state",
          "must be INITIAL, PENDING, RUNNING, DONE, KILLED or ERROR (got '" + s + "')");
    }
    for (auto state : it->second) filter.states.emplace_back(to_string(state));
  }
  return page(filter, limit, after);
}

JobService::Page JobService::list_contract(const std::string& contract,
                                           const std::string& name_prefix, std::size_t limit,
                                           const std::string& token) {
  JobListFilter filter;
  filter.contract = contract;
  filter.name_prefix = name_prefix;
  return page(filter, limit, token_seq(token));
}

JobService::Page JobService::page(const JobListFilter& filter, std::size_t limit,
                                  std::int64_t after) {
  const std::size_t want = limit == 0 ? std::numeric_limits<std::int64_t>::max() : limit;
  auto rows = store_->list_jobs(filter, after, limit == 0 ? 1000000000 : want + 1);
  Page page;
  for (const auto& row : rows) {
    if (page.ids.size() == want) {
      page.next_token = std::to_string(page.ids.empty() ? after : rows[page.ids.size() - 1].seq);
      break;
    }
    page.ids.push_back(row.id);
  }
  return page;
}

std::optional<std::vector<EventRow>> JobService::events(const std::string& id,
                                                        std::int64_t after_seq) {
  if (!find(id) && !store_->get_job(id)) return std::nullopt;
  return store_->events(id, after_seq);
}

void JobService::wait_for_change(std::chrono::milliseconds timeout) {
  std::unique_lock lock(change_mutex_);
  const auto seen = change_count_;
  change_wake_.wait_for(lock, timeout, [&] { return change_count_ != seen || stopping_; });
}

}  // namespace cuttle::rest
