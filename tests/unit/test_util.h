// Small helpers shared by unit, integration and conformance tests: a temporary directory,
// captured fixtures, reading and writing a local file, a job description of one command,
// the field its validation names, and the environment that tests/env/*.sh exports.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cuttle/job_description.h"

namespace cuttle::testing {

// The source tree: $CUTTLE_SOURCE_DIR, else the one this file was compiled from.
std::string source_dir();

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

// A job that runs `executable` with `arguments`, everything else defaulted.
inline JobDescription job(std::string executable, std::vector<std::string> arguments = {}) {
  JobDescription d;
  d.executable = std::move(executable);
  d.arguments = std::move(arguments);
  return d;
}

// One step of a job with steps (JobDescription::steps), everything else defaulted.
inline JobStep step(std::string executable, std::vector<std::string> arguments = {}) {
  JobStep s;
  s.executable = std::move(executable);
  s.arguments = std::move(arguments);
  return s;
}

// A job that runs `steps` in order, everything else defaulted.
inline JobDescription job_with_steps(std::vector<JobStep> steps) {
  JobDescription d;
  d.steps = std::move(steps);
  return d;
}

// The field InvalidJobDescription names for `d`, or "(valid)".
std::string field_of(const JobDescription& d);
// "field: reason" of InvalidJobDescription for `d`, or "(valid)".
std::string failure_of(const JobDescription& d);

// The bytes of the file at `path` on this machine, "" when it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces the content of the file at `path` with `text` (its directory must exist).
inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// The value of the environment variable `name`, "" when it is unset. Inline, so targets
// that do not link cuttle_test_util (the conformance suite) can use it.
inline std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// True in CI (CI=true or CI=1), where a test server that is not running fails a test
// instead of skipping it.
inline bool in_ci() { return env("CI") == "true" || env("CI") == "1"; }

}  // namespace cuttle::testing
