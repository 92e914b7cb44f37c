// The typed error hierarchy every part of Cuttle throws. Bindings (Python, HTTP, the
// command line) translate it in exactly one place each, keyed on Error::kind().
// Thread-safety: plain value types.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cuttle {

enum class ErrorKind {
  kInvalidArgument,        // a location, property or option is malformed
  kInvalidJobDescription,  // a JobDescription field is invalid (field() names it)
  kNoSuchJob,              // the job id is unknown to the scheduler
  kAuthenticationFailed,   // credentials or host key refused
  kConnectionFailed,       // transient: the target or scheduler did not answer
  kCommandFailed,          // a scheduler command exited non-zero (argv, exit code, stderr)
  kUnsupported,            // the adaptor cannot do this (e.g. extend)
  kStagingFailed,          // a file could not be staged in or out
  kTimeout,                // a bounded wait ran out
  kInternal,               // a bug or an unexpected system failure
};

const char* to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  // True when retrying the same call later may succeed (connection lost, scheduler down).
  bool transient() const { return kind_ == ErrorKind::kConnectionFailed; }

 private:
  ErrorKind kind_;
};

class InvalidArgument : public Error {
 public:
  explicit InvalidArgument(const std::string& message)
      : Error(ErrorKind::kInvalidArgument, message) {}
};

// Names the offending field ("arguments[2]", "environment.PATH", "stage_in[0].destination").
class InvalidJobDescription : public Error {
 public:
  InvalidJobDescription(std::string field, const std::string& reason)
      : Error(ErrorKind::kInvalidJobDescription, field + ": " + reason),
        field_(std::move(field)),
        reason_(reason) {}
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string field_;
  std::string reason_;
};

class NoSuchJob : public Error {
 public:
  explicit NoSuchJob(const std::string& job_id)
      : Error(ErrorKind::kNoSuchJob, "no such job: " + job_id), job_id_(job_id) {}
  const std::string& job_id() const { return job_id_; }

 private:
  std::string job_id_;
};

class AuthenticationFailed : public Error {
 public:
  explicit AuthenticationFailed(const std::string& message)
      : Error(ErrorKind::kAuthenticationFailed, message) {}
};

class ConnectionFailed : public Error {
 public:
  explicit ConnectionFailed(const std::string& message)
      : Error(ErrorKind::kConnectionFailed, message) {}
};

class CommandFailed : public Error {
 public:
  CommandFailed(std::vector<std::string> argv, int exit_code, std::string stderr_text);
  const std::vector<std::string>& argv() const { return argv_; }
  int exit_code() const { return exit_code_; }
  const std::string& stderr_text() const { return stderr_; }

 private:
  std::vector<std::string> argv_;
  int exit_code_;
  std::string stderr_;
};

class Unsupported : public Error {
 public:
  explicit Unsupported(const std::string& message) : Error(ErrorKind::kUnsupported, message) {}
};

class StagingFailed : public Error {
 public:
  explicit StagingFailed(const std::string& message) : Error(ErrorKind::kStagingFailed, message) {}
};

class Timeout : public Error {
 public:
  explicit Timeout(const std::string& message) : Error(ErrorKind::kTimeout, message) {}
};

class InternalError : public Error {
 public:
  explicit InternalError(const std::string& message) : Error(ErrorKind::kInternal, message) {}
};

}  // namespace cuttle
