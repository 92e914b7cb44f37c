// The conformance targets' common parts: the real servers of tests/env (the Slurm test
// cluster, reached as slurm:// and torque://, and the sshd), how a target asks for them,
// and the properties every test of them uses. Each *_conformance.cc adds only what makes
// its target differ.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/conformance/conformance.h"
#include "tests/unit/test_util.h"

namespace cuttle::conformance {

using ::cuttle::testing::env;
using ::cuttle::testing::in_ci;

// Target::require for servers announced by environment variables (the exports of
// tests/env/*.sh): each pair is the variable and what to start when it is missing.
// Skips locally; fails in CI, where every server must be running.
inline std::function<void()> require_servers(
    std::vector<std::pair<std::string, std::string>> needs) {
  return [needs] {
    std::string missing;
    for (const auto& [variable, what] : needs) {
      if (env(variable.c_str()).empty()) missing += " " + what;
    }
    if (missing.empty()) return;
    if (in_ci()) FAIL() << "not running:" << missing;
    GTEST_SKIP() << "not running:" << missing;
  };
}

inline const std::pair<std::string, std::string> kSlurm{
    "CUTTLE_TEST_SLURM", "Slurm (eval \"$(tests/env/slurm.sh start)\")"};
inline const std::pair<std::string, std::string> kTorque{
    "CUTTLE_TEST_TORQUE", "the Torque CLI (eval \"$(tests/env/slurm.sh start)\")"};
inline const std::pair<std::string, std::string> kSshd{
    "CUTTLE_TEST_SSH_PORT", "sshd (eval \"$(tests/env/sshd.sh start)\")"};

// The single-node cluster of tests/env/slurm.sh at `location` (slurm://, torque://,
// slurm+ssh://...), sandboxes under a fresh root tagged `tag`, jobs ended from outside
// with `cancel_command` (scancel, qdel).
inline Target test_cluster_target(std::string location, const std::string& tag,
                                  const std::string& cancel_command) {
  Target t;
  t.location = std::move(location);
  t.properties = {{"sandbox.root", process_scratch_root(tag)},
                  {"poll.interval.min", "250ms"},
                  {"poll.interval.max", "1s"},
                  // Below the test cluster's KillWait (5 s), as it should be on any site:
                  // the wrapper's own KILL then records how a TERM-ignoring job ended
                  // before the scheduler's KILL can end the wrapper.
                  {"cancel.grace", "2s"}};
  t.cancel_grace = std::chrono::seconds(2);
  if (const char* one_slot = std::getenv("CUTTLE_TEST_SLURM_ONE_SLOT_PARTITION")) {
    t.one_slot_properties = {{"queue", one_slot}};
  }
  t.job_timeout = std::chrono::seconds(60);
  t.detached = true;
  t.kill_from_outside = [cancel_command](const JobStatus& s) {
    run_outside({cancel_command, s.id});
  };
  // MinJobAge=10 in tests/env/slurm.sh, plus the controller's purge interval.
  t.forgotten_after = std::chrono::seconds(20);
  return t;
}

// "<scheme>://USER@HOST:PORT" of the sshd of tests/env/sshd.sh.
inline std::string test_sshd_location(const std::string& scheme) {
  return scheme + "://" + env("CUTTLE_TEST_SSH_USER") + "@" + env("CUTTLE_TEST_SSH_HOST") + ":" +
         env("CUTTLE_TEST_SSH_PORT");
}

// What reaching that sshd needs: its host key checked strictly, no ~/.ssh/config, the
// throwaway user key; the remote executor as CUTTLE_TEST_SSH_EXECUTOR says (else auto).
inline void use_test_sshd(Target& t) {
  t.properties["ssh.known_hosts"] = env("CUTTLE_TEST_SSH_KNOWN_HOSTS");
  const std::string executor = env("CUTTLE_TEST_SSH_EXECUTOR");
  t.properties["ssh.executor"] = executor.empty() ? "auto" : executor;
  t.properties["ssh.hostkey.policy"] = "strict";
  t.properties["ssh.config"] = "none";
  t.credential = Credential::key(env("CUTTLE_TEST_SSH_KEY"));
}

}  // namespace cuttle::conformance
