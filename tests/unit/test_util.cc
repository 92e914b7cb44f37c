// Small helpers shared by unit tests: a temporary directory, captured fixtures.
#include "tests/unit/test_util.h"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cuttle/error.h"

namespace cuttle::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cuttle-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string failure_of(const JobDescription& d) {
  try {
    d.validate();
  } catch (const InvalidJobDescription& e) {
    return e.field() + ": " + e.reason();
  }
  return "(valid)";
}

std::string field_of(const JobDescription& d) {
  try {
    d.validate();
  } catch (const InvalidJobDescription& e) {
    return e.field();
  }
  return "(valid)";
}

std::string source_dir() {
  const char* root = std::getenv("CUTTLE_SOURCE_DIR");
  return root ? std::string(root)
              : std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
}

std::string read_testdata(const std::string& directory, const std::string& name) {
  const std::filesystem::path base = source_dir();
  std::ifstream in(base / directory / name, std::ios::binary);
  if (!in) throw std::runtime_error("no fixture " + (base / directory / name).string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace cuttle::testing
