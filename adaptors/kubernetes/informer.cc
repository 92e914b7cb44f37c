// LIST + WATCH with bookmarks, relist on 410.
#include "adaptors/kubernetes/informer.h"

#include <Poco/URI.h>

#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

std::string encode(const std::string& value) {
  std::string out;
  Poco::URI::encode(value, "&=+?/#", out);
  return out;
}

std::string name_of(const nlohmann::json& object) {
  const auto& metadata = object.value("metadata", nlohmann::json::object());
  return metadata.value("name", "");
}

constexpr std::chrono::milliseconds kRetryPause{1000};

}  // namespace

Informer::Informer(std::shared_ptr<ApiClient> api, std::string collection, std::string selector,
                   Handler handler, int page_size)
    : api_(std::move(api)),
      collection_(std::move(collection)),
      selector_(std::move(selector)),
      handler_(std::move(handler)),
      page_size_(page_size) {}

Informer::~Informer() {
  stopping_ = true;
  api_->cancel_streams();
  if (thread_.joinable()) thread_.join();
}

void Informer::start() {
  thread_ = std::thread([this] { run(); });
}

bool Informer::wait_synced(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  synced_changed_.wait_for(lock, timeout, [this] { return synced_.load(); });
  return synced_;
}

std::optional<nlohmann::json> Informer::get(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(name);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

void Informer::deliver(const std::string& type, const nlohmann::json& object) {
  const std::string name = name_of(object);
  if (name.empty()) return;
  {
    std::lock_guard lock(mutex_);
    if (type == "DELETED")
      cache_.erase(name);
    else
      cache_[name] = object;
  }
  try {
    handler_(type, object);
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "kubernetes", "informer handler failed",
        {{"collection", collection_}, {"error", e.what()}});
  }
}

std::string Informer::list() {
  std::map<std::string, nlohmann::json> fresh;
  std::string resource_version;
  std::string token;
  do {
    std::string path = collection_ + "?labelSelector=" + encode(selector_) +
                       "&limit=" + std::to_string(page_size_);
    if (!token.empty()) path += "&continue=" + encode(token);
    ApiResponse response = api_->request("GET", path);
    ++lists_;
    if (response.status == 410) {  // the continue token expired: start over
      fresh.clear();
      token.clear();
      continue;
    }
    if (response.status != 200) {
      throw ConnectionFailed("list " + collection_ + ": " + response.describe());
    }
    nlohmann::json page = nlohmann::json::parse(response.body);
    const nlohmann::json& metadata = page.at("metadata");
    if (resource_version.empty()) resource_version = metadata.value("resourceVersion", "");
    token = metadata.value("continue", "");
    for (const nlohmann::json& item : page.value("items", nlohmann::json::array())) {
      fresh[name_of(item)] = item;
    }
  } while (!token.empty() && !stopping_);
  std::vector<nlohmann::json> gone;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, object] : cache_) {
      if (!fresh.count(name)) gone.push_back(object);
    }
  }
  for (const nlohmann::json& object : gone) deliver("DELETED", object);
  for (const auto& [name, object] : fresh) deliver("MODIFIED", object);
  {
    std::lock_guard lock(mutex_);
    synced_ = true;
  }
  synced_changed_.notify_all();
  return resource_version;
}

bool Informer::watch(std::string& resource_version) {
  const std::string path = collection_ + "?labelSelector=" + encode(selector_) +
                           "&watch=true&allowWatchBookmarks=true&timeoutSeconds=300" +
                           "&resourceVersion=" + encode(resource_version);
  ++watches_;
  bool gone = false;
  const int status = api_->stream_lines(path, [&](std::string_view line) {
    nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    if (!event.is_object()) return false;
    const std::string type = event.value("type", "");
    const nlohmann::json& object = event.contains("object") ? event["object"] : nlohmann::json();
    if (type == "ERROR") {
      gone = object.value("code", 0) == 410;
      return false;
    }
    if (object.is_object() && object.contains("metadata")) {
      std::string rv = object["metadata"].value("resourceVersion", "");
      if (!rv.empty()) resource_version = rv;
    }
    if (type == "BOOKMARK") return true;
    if (type == "ADDED" || type == "MODIFIED" || type == "DELETED") deliver(type, object);
    return !stopping_;
  });
  if (status == 410) return false;
  if (status != 200 && status != 0) {
    throw ConnectionFailed("watch " + collection_ + ": HTTP " + std::to_string(status));
  }
  return !gone;
}

void Informer::run() {
  std::string resource_version;
  while (!stopping_) {
    try {
      if (resource_version.empty()) resource_version = list();
      if (stopping_) break;
      if (!watch(resource_version)) {
        ++relists_;
        resource_version.clear();
      }
    } catch (const std::exception& e) {
      if (stopping_) break;
      log(LogLevel::kInfo, "kubernetes", "informer retrying",
          {{"collection", collection_}, {"error", e.what()}});
      std::unique_lock lock(mutex_);
      synced_changed_.wait_for(lock, kRetryPause, [this] { return stopping_.load(); });
    }
  }
}

}  // namespace cuttle::detail
