// Retention: finished jobs older than retain_finished leave the store (and, when
// configured, their sandboxes the disk); sandbox removal is shared with cancel.
#include "bindings/rest/job_service.h"

#include <algorithm>

#include "bindings/rest/job_service_helpers.h"
#include "cuttle/error.h"
#include "cuttle/file_system.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;
using nlohmann::json;
using service_detail::now_ms;
using service_detail::sandbox_of;

void JobService::retention_loop() {
  if (!config_.retain_finished) return;
  const auto period = std::clamp(*config_.retain_finished / 10, std::chrono::milliseconds(200),
                                 std::chrono::milliseconds(60'000));
  while (true) {
    {
      std::unique_lock lock(stop_mutex_);
      stop_wake_.wait_for(lock, period, [&] { return stopping_.load(); });
      if (stopping_) return;
    }
    try {
      const auto rows = store_->purge_finished(now_ms() - config_.retain_finished->count());
      {
        std::unique_lock lock(cache_mutex_);
        for (const auto& row : rows) {
          auto it = cache_.find(row.id);
          if (it == cache_.end()) continue;
          by_backend_.erase({it->second->scheduler_name, it->second->backend_id});
          cache_.erase(it);
        }
      }
      for (const auto& row : rows) finished_documents_.erase(row.id);
      for (const auto& row : rows) {
        if (!config_.retention_deletes_sandboxes || row.owner != config_.instance) continue;
        delete_sandbox(row.id, row.scheduler, sandbox_of(row.status));
      }
      if (!rows.empty()) {
        log(LogLevel::kInfo, "rest", "removed finished jobs",
            {{"count", std::to_string(rows.size())}});
      }
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, "rest", "retention failed", {{"error", e.what()}});
    }
  }
}

namespace {

// Whether `sandbox` (as the adaptor reported it) is a direct child of `root` (the
// scheduler's sandbox.root). A root under the remote home ("~/...") is reported expanded
// ("/home/u/..."): it is then matched as a suffix of the sandbox's parent.
bool is_sandbox_of(const std::string& sandbox, std::string root) {
  if (sandbox.empty() || root.empty() || sandbox.find("/..") != std::string::npos) return false;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  const std::size_t slash = sandbox.rfind('/');
  if (slash == std::string::npos || slash + 1 == sandbox.size()) return false;
  const std::string parent = sandbox.substr(0, slash);
  if (root.rfind("~/", 0) == 0) {
    const std::string under_home = root.substr(1);  // "/.cuttle/jobs"
    return parent.size() > under_home.size() && parent.ends_with(under_home);
  }
  return parent == root;
}

}  // namespace

// joblauncher deletes what a cancelled job generated in its sandbox. We remove the
// sandbox directory the adaptor reports through the adaptor's own file system (this
// machine's, or the cluster's over SFTP), and only a direct child of that scheduler's
// sandbox root.
void JobService::delete_sandbox(const std::string& id, const std::string& scheduler_name,
                                const std::string& sandbox) {
  auto root = sandbox_roots_.find(scheduler_name);
  if (root == sandbox_roots_.end() || !is_sandbox_of(sandbox, root->second)) return;
  auto sched = scheduler(scheduler_name);
  if (!sched) return;
  try {
    sched->job_files()->remove_all(sandbox);
  } catch (const Error& e) {
    log(LogLevel::kWarn, "rest", "cannot delete sandbox",
        {{"job", id}, {"sandbox", sandbox}, {"error", e.what()}});
  }
}

}  // namespace cuttle::rest
