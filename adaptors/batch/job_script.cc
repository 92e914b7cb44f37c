// Job script rendering shared by every batch dialect.
#include "adaptors/batch/job_script.h"

#include "cuttle/error.h"
#include "cuttle/shell.h"
#include "internal/job_key.h"

namespace cuttle::detail {
namespace {

constexpr std::size_t kMaxNameLength = 64;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string directive_value(std::string_view value, const std::string& field) {
  for (char c : value) {
    if (c == '\n' || c == '\r') {
      throw InvalidJobDescription(field, "a newline would end the scheduler directive");
    }
    if (c == '\0') throw InvalidJobDescription(field, "NUL byte");
  }
  return quote(value);
}

std::string directive_word(std::string_view value, const std::string& field) {
  const std::string quoted = directive_value(value, field);
  if (value.empty()) return quoted;
  for (char c : value) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("_=:.,+/@%-").find(c) != std::string_view::npos;
    if (!plain) return quoted;
  }
  return std::string(value);
}

std::string directive_line(std::string_view prefix, std::string_view option, std::string_view value,
                           const std::string& field) {
  std::string line(prefix);
  line += ' ';
  line += option;
  line += directive_value(value, field);
  line += '\n';
  return line;
}

void check_scheduler_arguments(const std::vector<std::string>& arguments) {
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string field = "scheduler_arguments[" + std::to_string(i) + "]";
    const std::string& argument = arguments[i];
    if (argument.empty() || argument[0] != '-') {
      throw InvalidJobDescription(field, "must be an option starting with '-'");
    }
    for (unsigned char c : argument) {
      if (c < 0x20 || c == 0x7f) {
        throw InvalidJobDescription(field, "control characters (newlines) are not allowed");
      }
    }
  }
}

std::string render_job_script(const std::string& directives, const std::string& wrapper_path,
                              const std::string& prelude) {
  const std::string markers = wrapper_path.substr(0, wrapper_path.rfind('/'));
  const std::string backend = quote(markers + "/" + kBackendFile);
  const std::string written = quote(markers + "/." + kBackendFile + ".job");
  // The job records its own scheduler id (Slurm's, or Torque's) unless the submitter
  // already did: a submit whose answer a crash lost is then found from the sandbox even
  // after the queue has forgotten the job (BatchScheduler::find_by_name).
  return "#!/bin/sh\n" + directives +
         "id=${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-${PBS_JOBID:-}}}\n" + "[ -s " + backend +
         " ] || [ -z \"$id\" ] || { printf '%s\\n' \"$id\" > " + written + " && mv -f " + written +
         " " + backend + "; }\n" + prelude + "exec /bin/sh " + quote(wrapper_path) + "\n";
}

std::string sanitized_job_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, kMaxNameLength)) out += is_name_char(c) ? c : '_';
  return out;
}

std::string batch_job_name(std::string_view name, std::string_view job_key) {
  if (name.empty()) return std::string(job_key);
  return sanitized_job_name(name) + "." + std::string(job_key);
}

std::optional<std::string> job_key_from_name(std::string_view job_name) {
  if (is_job_key(job_name)) return std::string(job_name);
  if (job_name.size() > kJobKeyLength && job_name[job_name.size() - kJobKeyLength - 1] == '.') {
    std::string_view key = job_name.substr(job_name.size() - kJobKeyLength);
    if (is_job_key(key)) return std::string(key);
  }
  return std::nullopt;
}

std::string name_part_of(std::string_view job_name) {
  if (!job_key_from_name(job_name)) return std::string(job_name);
  if (job_name.size() == kJobKeyLength) return {};
  return std::string(job_name.substr(0, job_name.size() - kJobKeyLength - 1));
}

}  // namespace cuttle::detail
