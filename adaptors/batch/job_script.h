// Helpers every dialect uses to render a job script: one directive per line with its
// value quoted by cuttle::quote() (the schedulers' directive parsers honour POSIX
// quotes), newlines refused, and the job name that carries our job key.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cuttle::detail {

// `value` as one quoted word for a directive line. Throws InvalidJobDescription(field)
// for a newline, carriage return or NUL, which would end the directive early.
std::string directive_value(std::string_view value, const std::string& field);

// Like directive_value, but a value of only [A-Za-z0-9_=:.,+/@%-] is left unquoted (for
// directive parsers that do not strip quotes everywhere, such as Torque's).
std::string directive_word(std::string_view value, const std::string& field);

// "<prefix> <option><quoted value>\n", e.g. ("#SBATCH", "--chdir=", "/a b") ->
// "#SBATCH --chdir='/a b'\n".
std::string directive_line(std::string_view prefix, std::string_view option, std::string_view value,
                           const std::string& field);

// Checks pass-through scheduler arguments: each must be non-empty, start with '-', and
// hold no control characters. Throws InvalidJobDescription("scheduler_arguments[i]").
void check_scheduler_arguments(const std::vector<std::string>& arguments);

// The file in the marker directory that holds the scheduler's id of the job.
inline constexpr const char* kBackendFile = "backend";
// The file in the marker directory that holds the scheduler-side job name, written before
// the submit command runs.
inline constexpr const char* kJobNameFile = "job_name";

// The whole script: shebang, directives, the job's own record of its scheduler id (into
// kBackendFile beside the wrapper, unless already there; an array's element records the
// array's id), `prelude` (lines, e.g. array_job_prelude()), then exec of the wrapper.
std::string render_job_script(const std::string& directives, const std::string& wrapper_path,
                              const std::string& prelude = {});

// The scheduler-side job name: the user's name reduced to [A-Za-z0-9._-] (at most 64
// characters), a '.', and our job key; just the key when the name is empty. The key
// lets a crashed submit be found again (find_by_name) and a re-attached job's sandbox
// be located.
std::string batch_job_name(std::string_view name, std::string_view job_key);
// The user-name part batch_job_name() produces for `name` (what find_by_name compares).
std::string sanitized_job_name(std::string_view name);
// The job key a scheduler-side name carries; nullopt for a job Cuttle did not submit.
std::optional<std::string> job_key_from_name(std::string_view job_name);
// The name part before the key ("" when there was none).
std::string name_part_of(std::string_view job_name);

}  // namespace cuttle::detail
