// GA4GH TES v1.1 (docs/rest.md, "GA4GH TES"): a posted task checked field by field and
// translated into the JobRequest the one job service runs, and a stored job rendered back
// as a TES task. Every refusal is a RequestError naming the TES field ("inputs[2].url").
// Thread-safety: pure functions over value types, except that parse_tes_task writes the
// task's staging directory (content and http(s) inputs) on this machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "bindings/rest/job_request.h"
#include "bindings/rest/job_store.h"

namespace cuttle::rest::tes {

// The container path every executor sees as the task's sandbox; TES paths (inputs,
// outputs, volumes, stdin/stdout/stderr, workdir) must lie under it.
inline constexpr const char* kWork = "/work";

// The request JobService::submit takes: contract "tes", the task as accepted (plus the
// staging directory and the warnings for system_logs), the JobDescription. `staging` is
// a fresh directory name under config.tes.staging_directory; it is removed again when
// the task is refused.
JobRequest parse_tes_task(const std::string& body, const Config& config,
                          const std::string& staging);

// "/work/a/b" -> "a/b" (normalised, confined); RequestError naming `field` otherwise.
// `allow_root`: "/work" itself is accepted (and returned as "").
std::string sandbox_relative(const std::string& container_path, const std::string& field,
                             bool allow_root = false);

// file:///abs/path (or file://localhost/abs/path) -> "/abs/path", percent-decoded and
// normalised; nullopt when `url` is not a file URL. RequestError naming `field` when it
// is one but malformed.
std::optional<std::string> file_url_path(const std::string& url, const std::string& field);
// Whether `path` (absolute, normalised), once its deepest existing ancestor is resolved,
// lies under one of `roots`.
bool under_roots(const std::string& path, const std::vector<std::string>& roots);

// Whether a TES output path uses POSIX pattern characters (* ? [).
bool has_wildcards(const std::string& path);

// Where the task's own files live on this machine: content and fetched inputs, executor
// logs, and the copy wildcard outputs are matched in.
struct StagingLayout {
  std::string root;  // <config.tes.staging_directory>/<staging>
  std::string input(std::size_t i) const { return root + "/inputs/" + std::to_string(i); }
  std::string log(std::size_t executor, const char* stream) const {
    return root + "/logs/" + std::to_string(executor) + "." + stream;
  }
  std::string wildcard_copy(std::size_t output) const {
    return root + "/outputs/" + std::to_string(output);
  }
  std::string empty_directory() const { return root + "/empty"; }
};

// The TES state of a Cuttle state word (table in docs/rest.md); UNKNOWN for anything else.
std::string tes_state(const std::string& cuttle_state);

enum class View { kMinimal, kBasic, kFull };
// "MINIMAL" (default when empty), "BASIC", "FULL"; RequestError naming "view" otherwise.
View parse_view(const std::string& text);

// The TES task for job `id`, from its status document (JobService::document) and its
// journal (JobService::events): the accepted task, state, and one task log per attempt.
nlohmann::json render_task(const std::string& id, const nlohmann::json& document,
                           const std::vector<EventRow>& events, View view, const Config& config);

// Copies what wildcard outputs matched (from their staged copy) to their URLs, once per
// task; called when a completed task is read. Returns problems (empty: all delivered).
std::vector<std::string> deliver_wildcard_outputs(const nlohmann::json& contract_document);
// tesOutputFileLog entries of every delivered output file.
nlohmann::json output_file_logs(const nlohmann::json& contract_document);

}  // namespace cuttle::rest::tes
