// Shared by the ssh integration tests: the sshd started by tests/env/sshd.sh, as
// exported in CUTTLE_TEST_SSH_*. A missing server skips a test locally and fails it in
// CI (CI=true).
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "cuttle/cuttle.h"
#include "tests/unit/test_util.h"

namespace cuttle::ssh_test {

using ::cuttle::testing::env;
using ::cuttle::testing::in_ci;

// True when the sshd environment is there; otherwise records the skip/failure reason.
#define CUTTLE_REQUIRE_SSHD()                                                           \
  do {                                                                                  \
    if (::cuttle::ssh_test::env("CUTTLE_TEST_SSH_PORT").empty()) {                      \
      if (::cuttle::ssh_test::in_ci()) {                                                \
        FAIL() << "CUTTLE_TEST_SSH_* not set: run eval \"$(tests/env/sshd.sh start)\""; \
      }                                                                                 \
      GTEST_SKIP() << "no test sshd: run eval \"$(tests/env/sshd.sh start)\" first";    \
    }                                                                                   \
  } while (0)

inline std::string user() { return env("CUTTLE_TEST_SSH_USER"); }
inline std::string host() { return env("CUTTLE_TEST_SSH_HOST"); }
inline std::string port() { return env("CUTTLE_TEST_SSH_PORT"); }
inline std::string jump_port() { return env("CUTTLE_TEST_SSH_JUMP_PORT"); }
inline std::string key() { return env("CUTTLE_TEST_SSH_KEY"); }
inline std::string known_hosts() { return env("CUTTLE_TEST_SSH_KNOWN_HOSTS"); }
inline std::string env_script() { return env("CUTTLE_TEST_SSH_ENV_SCRIPT"); }

inline std::string location(const std::string& scheme = "ssh") {
  return scheme + "://" + user() + "@" + host() + ":" + port();
}

// The ssh.executor the ssh tests run with: CUTTLE_TEST_SSH_EXECUTOR, else auto. ctest runs
// the ssh suites a second time with it off (tests/integration/CMakeLists.txt).
inline std::string executor_mode() {
  std::string mode = env("CUTTLE_TEST_SSH_EXECUTOR");
  return mode.empty() ? "auto" : mode;
}

// Strict host-key checking against the test known_hosts; no ~/.ssh/config.
inline std::map<std::string, std::string> properties() {
  return {{"ssh.known_hosts", known_hosts()},
          {"ssh.config", "none"},
          {"ssh.executor", executor_mode()}};
}

inline Credential credential() { return Credential::key(key()); }

using ::cuttle::testing::read_file;
using ::cuttle::testing::write_file;

// A test that needs the test sshd and a fresh directory both ends see (the sshd runs on
// this machine): /tmp/cuttle-<suite>-<pid>-<test>, created empty, removed afterwards.
class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CUTTLE_REQUIRE_SSHD();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = "/tmp/cuttle-" + std::string(info->test_suite_name()) + "-" +
           std::to_string(::getpid()) + "-" + info->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  std::string dir_;
};

}  // namespace cuttle::ssh_test
