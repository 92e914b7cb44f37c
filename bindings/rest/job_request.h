// The body of POST /job (the joblauncher request plus optional additions): parsed,
// checked against the limits and the configured roots, echoed back as "request", and
// turned into a JobDescription. Thread-safety: pure functions over value types.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "cuttle/job_description.h"

namespace cuttle::rest {

// A client error: the HTTP status, the offending field and why.
class RequestError : public std::runtime_error {
 public:
  RequestError(int status, std::string field, std::string reason)
      : std::runtime_error(field + ": " + reason),
        status_(status),
        field_(std::move(field)),
        reason_(std::move(reason)) {}
  int status() const { return status_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  int status_;
  std::string field_;
  std::string reason_;
};

struct JobRequest {
  // The joblauncher fields.
  std::string jobdir;  // as given (the echo keeps it)
  std::string executable;
  std::vector<std::string> arguments;
  std::vector<std::string> prestaged;
  std::vector<std::string> poststaged;
  std::string stdout_name;  // empty: not kept
  std::string stderr_name;
  std::map<std::string, std::string> environment;
  std::string status_callback_url;  // empty: none
  // Additions.
  std::string scheduler;  // empty: the default
  std::string queue;
  std::optional<std::chrono::seconds> max_runtime;
  std::optional<int> retry_limit;
  std::string name;
  std::map<std::string, std::string> labels;
  // Resources and placement (docs/resources.md), held as core holds them: only those
  // fields are set here. Their JSON names and form are core's (job_description_json.h),
  // which reads and writes them; to_job_description starts from this description.
  JobDescription resources;

  std::string resolved_jobdir;  // real path, inside a configured root

  // Set by a contract other than joblauncher (its routes in bindings/rest/): its name
  // ("tes", ...), what it keeps with the job (its own request document, the caller, ...)
  // and the JobDescription it translated the request into. All three are stored with the
  // job; the name and document are echoed in "request"."contract". When `description` is
  // set, to_job_description returns it (named by the job id) and the joblauncher fields
  // above are unused.
  std::string contract;
  nlohmann::json contract_document;
  std::optional<JobDescription> description;
  // The job's id when the contract needs it before submit (a random UUID it made, e.g. to
  // name the job's logs in its outputs); empty: JobService::submit makes one.
  std::string id;
};

// Checks that a JSON text nests no deeper than `max_depth` before a parser sees it.
bool json_depth_within(const std::string& text, std::size_t max_depth);

// Each root resolved now, "" for one that does not exist (Config::resolved_job_roots).
std::vector<std::string> resolved_roots(const std::vector<std::string>& roots);

// Throws RequestError (400/413/422) naming the field.
JobRequest parse_job_request(const std::string& body, const Config& config);

// The "request" member of the status document: every joblauncher field (null when
// absent) plus the additions that were given.
nlohmann::json request_to_json(const JobRequest& request);
// What the store keeps: the echo plus the members only the service reads back
// ("resolved_jobdir", "contract_description"); strip_internal() turns it into the echo.
nlohmann::json request_to_stored_json(const JobRequest& request);
JobRequest request_from_json(const nlohmann::json& stored);
void strip_internal(nlohmann::json& stored);

// Whether the resolved `path` is `root` or below it (both already resolved, no trailing
// '/' except for "/" itself). The one confinement test of every contract's paths.
bool is_under(const std::string& path, const std::string& root);

// Staging as joblauncher does it: prestaged names are copied from jobdir into the
// sandbox; poststaged names, stdout and stderr come back into jobdir.
JobDescription to_job_description(const JobRequest& request, const std::string& job_id);

// "http://host:port/path?q" -> parts; nullopt when not an absolute http(s) URL.
struct UrlParts {
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
  std::string path_and_query;
};
std::optional<UrlParts> parse_http_url(const std::string& url);

}  // namespace cuttle::rest
