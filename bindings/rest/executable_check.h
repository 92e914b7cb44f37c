// Refuses, at submit, a job whose executable cannot start on a scheduler that runs jobs
// on this machine, as the CLI does (its attached spawn fails at once): the REST submit is
// asynchronous, so without this check the client would get 201 and a job that fails later.
// Thread-safety: a pure function of its arguments and the file system; any thread.
#pragma once

#include <map>
#include <string>

namespace cuttle::rest {

// RequestError 400 naming "executable" when `executable` is an absolute path that is not
// an executable regular file, or a bare name found on no directory of the PATH the job
// will see (`environment`'s PATH, else this process's). A relative path with a slash
// names a file staged into the sandbox and is left to the job.
void check_local_executable(const std::string& executable,
                            const std::map<std::string, std::string>& environment);

}  // namespace cuttle::rest
