// Small helpers shared by unit tests: a temporary directory, running /bin/sh, and the
// field a JobDescription's validation names.
#pragma once

#include <filesystem>
#include <string>

#include "cuttle/job_description.h"

namespace cuttle::testing {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The field InvalidJobDescription names for `d`, or "(valid)".
std::string field_of(const JobDescription& d);

}  // namespace cuttle::testing
