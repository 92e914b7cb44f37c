// Small helpers shared by unit tests: a temporary directory, running /bin/sh, and the
// field a JobDescription's validation names.
#pragma once

#include <filesystem>
#include <string>

#include "cuttle/job_description.h"

namespace cuttle::testing {

// The bytes of a captured fixture, `<source tree>/<directory>/<name>` (the source tree is
// $CUTTLE_SOURCE_DIR, else the one this file was compiled from). Throws when missing.
std::string read_testdata(const std::string& directory, const std::string& name);

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
