#include "bindings/rest/executable_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "bindings/rest/job_request.h"

namespace cuttle::rest {
namespace {

bool runnable(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

void check_local_executable(const std::string& executable,
                            const std::map<std::string, std::string>& environment) {
  if (executable.empty()) return;  // the request parser refuses it with its own reason
  if (executable.front() == '/') {
    if (!runnable(executable)) {
      throw RequestError(400, "executable",
                         "'" + executable + "' is not an executable file on this machine");
    }
    return;
  }
  if (executable.find('/') != std::string::npos) return;
  std::string path;
  if (auto it = environment.find("PATH"); it != environment.end()) {
    path = it->second;
  } else if (const char* inherited = std::getenv("PATH")) {
    path = inherited;
  }
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    // An empty or "." entry is the job's own directory (its sandbox): not checkable here.
    if (dir.empty() || dir == "." || runnable(dir + "/" + executable)) return;
  }
  throw RequestError(400, "executable",
                     "'" + executable + "' is not found on the PATH of this machine");
}

}  // namespace cuttle::rest
