// Small helpers shared by unit tests: a temporary directory and running /bin/sh.
#pragma once

#include <filesystem>
#include <string>

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

}  // namespace cuttle::testing
