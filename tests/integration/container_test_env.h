// Shared by the container integration tests: real runtimes on this machine. A private
// podman (tests/env/podman.sh: its own configuration and storage, named to podman through
// CONTAINERS_CONF / CONTAINERS_STORAGE_CONF, which every podman this process starts
// inherits) holding localhost/busybox:latest, and the same busybox tree as a Charliecloud
// directory image. Set up once per test process. A missing runtime skips
// a test locally and fails it in CI (CI=true).
// Thread-safety: get() is safe from any thread; the rest are plain functions.
#pragma once

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cuttle/command_runner.h"
#include "cuttle/error.h"
#include "internal/container_runtime.h"
#include "tests/unit/test_util.h"

namespace cuttle::container_test {

using ::cuttle::testing::in_ci;

inline bool on_path(const std::string& program) {
  LocalRunner runner;
  return runner.run({"sh", "-c", "command -v \"$1\" >/dev/null", "sh", program}).exit_code == 0;
}

class Env {
 public:
  static Env& get() {
    static Env env;
    return env;
  }
  // Empty when the environment is there; otherwise why not.
  const std::string& problem() const { return problem_; }
  const std::string& rootfs() const { return rootfs_; }
  static std::string podman_image() { return "localhost/busybox:latest"; }

  ~Env() {
    if (private_dir_.empty()) return;
    LocalRunner().run({"podman", "rm", "--all", "--force"});
    std::error_code ignored;
    std::filesystem::remove_all(private_dir_, ignored);
  }

 private:
  // Uses the podman that scripts/test.sh started (tests/env/podman.sh start, exported),
  // else starts a private one for this process, removed at exit.
  Env() {
    if (!on_path("podman")) {
      problem_ = "podman is not installed (scripts/install-deps.sh)";
      return;
    }
    if (const char* rootfs = std::getenv("CUTTLE_TEST_CONTAINER_ROOTFS");
        rootfs != nullptr && std::getenv("CONTAINERS_STORAGE_CONF") != nullptr) {
      rootfs_ = rootfs;
    } else {
      start_private();
    }
    // ch-run refuses to start without $USER.
    if (std::getenv("USER") == nullptr) {
      const passwd* pw = getpwuid(getuid());
      setenv("USER", pw ? pw->pw_name : "root", 1);
    }
  }

  void start_private() {
    const char* source = std::getenv("CUTTLE_SOURCE_DIR");
    if (source == nullptr) {
      problem_ = "CUTTLE_SOURCE_DIR is not set (ctest sets it)";
      return;
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cuttle-podman-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      problem_ = "mkdtemp failed";
      return;
    }
    private_dir_ = buffer.data();
    CommandOptions options;
    options.timeout = std::chrono::seconds(120);
    CommandResult built = LocalRunner().run({"env", "CUTTLE_PODMAN_DIR=" + private_dir_, "sh",
                                             std::string(source) + "/tests/env/podman.sh", "start"},
                                            options);
    if (built.exit_code != 0) {
      problem_ = "tests/env/podman.sh start failed: " + built.stderr_text;
      return;
    }
    setenv("CONTAINERS_CONF", (private_dir_ + "/containers.conf").c_str(), 1);
    setenv("CONTAINERS_STORAGE_CONF", (private_dir_ + "/storage.conf").c_str(), 1);
    rootfs_ = private_dir_ + "/image/rootfs";
  }

  std::string private_dir_;  // empty: the exported, shared environment
  std::string rootfs_;
  std::string problem_;
};

#define CUTTLE_REQUIRE_CONTAINER_ENV(program)                                \
  do {                                                                       \
    const std::string& why = ::cuttle::container_test::Env::get().problem(); \
    std::string missing = ::cuttle::container_test::on_path(program)         \
                              ? why                                          \
                              : std::string(program) + " is not installed";  \
    if (!missing.empty()) {                                                  \
      if (::cuttle::container_test::in_ci()) FAIL() << missing;              \
      GTEST_SKIP() << missing;                                               \
    }                                                                        \
  } while (0)

using ::cuttle::testing::read_file;
using ::cuttle::testing::write_file;

// The fixture every runtime's real tests share: a launch of `command` with this test's
// directory as the sandbox, run with a bound time.
class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest(ContainerRuntime runtime, std::string program)
      : runtime_(runtime), program_(std::move(program)) {}
  void SetUp() override { CUTTLE_REQUIRE_CONTAINER_ENV(program_); }

  virtual std::string image() = 0;
  detail::ContainerLaunch launch(std::vector<std::string> command) {
    detail::ContainerLaunch l;
    l.image = image();
    l.sandbox = dir_.path();
    l.name =
        detail::container_name("t" + std::to_string(::getpid()) + "-" + std::to_string(++count_));
    l.command = std::move(command);
    return l;
  }
  const detail::ContainerRuntimeTable& table() { return detail::container_runtime_table(runtime_); }
  CommandResult run(const detail::ContainerLaunch& l, CommandOptions options = {}) {
    if (!options.timeout) options.timeout = std::chrono::seconds(60);
    return runner_.run(table().run_argv(l), options);
  }
  // The launch through sh, as a wrapper script or an SSH command line carries it.
  CommandResult run_in_shell(const std::string& line) {
    CommandOptions options;
    options.timeout = std::chrono::seconds(60);
    return runner_.run({"sh", "-c", line}, options);
  }

  LocalRunner runner_;
  testing::TempDir dir_;

 private:
  ContainerRuntime runtime_;
  std::string program_;
  int count_ = 0;
};

}  // namespace cuttle::container_test
