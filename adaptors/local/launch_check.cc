// Up-front executable and working-directory checks for detached local jobs.
#include "adaptors/local/launch_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "cuttle/error.h"
#include "internal/split.h"

namespace cuttle::detail::local {
namespace {

std::string joined(const std::string& directory, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return directory + "/" + path;
}

// nullopt when `path` names an executable regular file; otherwise why it does not.
std::optional<std::string> not_executable(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return std::string(std::strerror(errno));
  if (S_ISDIR(info.st_mode)) return std::string("is a directory");
  if (!S_ISREG(info.st_mode)) return std::string("is not a regular file");
  if (::access(path.c_str(), X_OK) != 0)
    return std::string("not executable (") + std::strerror(errno) + ")";
  return std::nullopt;
}

std::string search_path(const JobDescription& description) {
  auto it = description.environment.find("PATH");
  if (it != description.environment.end()) return it->second;
  const char* inherited = std::getenv("PATH");
  return inherited ? inherited : "/usr/local/bin:/usr/bin:/bin";
}

}  // namespace

void check_working_directory(const std::string& directory) {
  struct stat info;
  if (::stat(directory.c_str(), &info) != 0) {
    throw InvalidJobDescription("working_directory",
                                "cannot enter " + directory + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(info.st_mode)) {
    throw InvalidJobDescription("working_directory",
                                "cannot enter " + directory + ": not a directory");
  }
  if (::access(directory.c_str(), X_OK) != 0) {
    throw InvalidJobDescription("working_directory",
                                "cannot enter " + directory + ": " + std::strerror(errno));
  }
}

std::string resolve_executable(const JobDescription& description,
                               const std::string& working_directory,
                               const std::string& submit_directory) {
  const std::string& executable = description.executable;
  if (executable.find('/') == std::string::npos) {
    const std::string path = search_path(description);
    for (std::string_view entry : split_on(path, ':')) {
      const std::string directory = entry.empty() ? working_directory : std::string(entry);
      if (!not_executable(joined(directory, executable))) return executable;
    }
    throw InvalidJobDescription(
        "executable", "cannot start " + executable + ": not found in PATH (" + path + ")");
  }
  const std::string in_job = joined(working_directory, executable);
  auto problem = not_executable(in_job);
  if (!problem) return executable;
  if (executable.front() != '/' && working_directory != submit_directory) {
    const std::string here = joined(submit_directory, executable);
    if (!not_executable(here)) return here;
  }
  throw InvalidJobDescription("executable", "cannot start " + executable + ": " + *problem);
}

}  // namespace cuttle::detail::local
