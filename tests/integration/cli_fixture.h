// Runs the real `cuttle` binary as a user does: separate processes, exit codes, stdout
// and stderr. Each test gets its own directory, which is also the job index
// ($XDG_STATE_HOME) and the local sandbox root, so tests never touch the real home.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cuttle/command_runner.h"
#include "tests/unit/test_util.h"

namespace cuttle {

inline std::string cuttle_binary() {
  const char* dir = std::getenv("CUTTLE_BINARY_DIR");
  return std::string(dir ? dir : CUTTLE_BUILD_DIR) + "/bindings/cli/cuttle";
}

class CliTest : public ::testing::Test {
 protected:
  CommandResult cuttle(std::vector<std::string> args, const std::string& stdin_text = {}) {
    args.insert(args.begin(), cuttle_binary());
    args.insert(args.begin(), environment_.begin(), environment_.end());
    args.insert(args.begin(), {"/usr/bin/env", "XDG_STATE_HOME=" + dir_.path() + "/state",
                               "XDG_DATA_HOME=" + dir_.path() + "/data"});
    CommandOptions options;
    options.timeout = std::chrono::seconds(60);
    options.stdin_text = stdin_text;
    return runner_.run(args, options);
  }
  // A detached location whose sandboxes live in this test's directory.
  std::string detached() { return "local://?mode=detached&sandbox.root=" + dir_.path() + "/jobs"; }
  // The default local sandbox root under this test's XDG_DATA_HOME.
  std::string default_sandboxes() { return dir_.path() + "/data/cuttle/local"; }

  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

  LocalRunner runner_;
  testing::TempDir dir_;
  std::vector<std::string> environment_;  // more NAME=VALUE for every command
};

}  // namespace cuttle
