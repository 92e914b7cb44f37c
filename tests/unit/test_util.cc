#include "tests/unit/test_util.h"

#include <stdlib.h>

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

std::string field_of(const JobDescription& d) {
  try {
    d.validate();
  } catch (const InvalidJobDescription& e) {
    return e.field();
  }
  return "(valid)";
}

}  // namespace cuttle::testing
