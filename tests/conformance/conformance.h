// The conformance suite: behaviour every Scheduler must show, written once against the
// interface. An adaptor configuration joins it with one *_conformance.cc file:
//
//   #include "tests/conformance/conformance.h"
//   CUTTLE_CONFORMANCE(LocalAttached, [] {
//     cuttle::conformance::Target t;
//     t.location = "local://";
//     t.properties = {{"mode", "attached"}};
//     return t;
//   }());
//
// Switches in Target turn off what an adaptor cannot do (as Arrow's allow_* hooks).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cuttle/cuttle.h"

namespace cuttle::conformance {

struct Target {
  std::string location;                           // e.g. "ssh://root@127.0.0.1:2222"
  std::map<std::string, std::string> properties;  // adaptor properties
  Credential credential;
  // Called once before the suite (e.g. to check the server from tests/env is up). It
  // should GTEST_SKIP() locally, or FAIL() when the CI environment variable is set.
  std::function<void()> require;
  std::chrono::seconds job_timeout{60};  // generous bound for one short job to finish
  bool supports_staging = true;
  bool supports_extend = false;
  bool detached = false;  // jobs survive the submitting Scheduler object
  // Ends a running job the way someone outside Cuttle would (scancel, qdel, a TERM to
  // its process group), given its status. Empty: the lifecycle tests that need it skip.
  std::function<void(const JobStatus&)> kill_from_outside;
  // How long after a job ended the scheduler forgets it (Slurm's MinJobAge plus a
  // margin); zero when there is nothing to forget (the wrapper's record is all there is).
  std::chrono::seconds forgotten_after{0};
  // The target's cancel.grace as configured in `properties` (TERM to KILL).
  std::chrono::seconds cancel_grace{5};
  // How long after its deadline a job may be reported ended. The wrapper acts to the
  // second and a TERMed `sleep` dies at once (1.5 s covers it), but a podman container's
  // end is reported only once `podman kill` and `run --rm`'s removal are through, and
  // podman serializes those behind its storage lock: with another test starting many
  // containers beside it (ctest -j2 in CI) that took 2.9 s more (bare-root CI, 2026-12-02).
  std::chrono::milliseconds late_slack{1500};
  // Properties that leave room for one running job only, so a second job stays queued
  // (local: max.concurrent=1). Empty: the tests that need a queued job are skipped.
  std::map<std::string, std::string> one_slot_properties;
  // A file one job writes (outside its sandbox) is seen by the next job. False where each
  // job has a file system of its own (kubernetes://: one pod each): the tests that pass a
  // file from job to job skip.
  bool shared_files = true;
  // Strings reach the job as JSON (kubernetes://), so they must be UTF-8: the hostile
  // strings that are not are left out of the byte-for-byte tests (the adaptor refuses them
  // naming the field, which its own tests check).
  bool utf8_only = false;
  // The scheduler ends (or says it will never run) a job whose dependency can never be
  // met. False for Slurm's Torque wrappers: qstat shows such a job queued, without why.
  bool ends_unsatisfiable_dependencies = true;
  // The status command reports each element of an array job (squeue -r). False for
  // Slurm's Torque wrappers, whose qstat knows elements only by their own job ids once
  // they run: the array tests skip (docs/arrays.md).
  bool array_elements_reported = true;
  // Paths the test creates on the target are under this directory (must exist there).
  // Empty: a fresh local temporary directory (local and any target sharing this disk).
  std::string scratch_dir;
  // Set: every job the suite submits runs in this image with this runtime (issue 12),
  // the same tests on the same adaptor once more. Tests that need the host's paths inside
  // the job skip, saying why; files the suite checks for are looked up on this machine
  // (every container target here shares its disk).
  std::string container_image;
  ContainerRuntime container_runtime = ContainerRuntime::kAuto;
};

// Names the target in test output instead of dumping its bytes.
void PrintTo(const Target& target, std::ostream* os);

class ConformanceTest : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override;
  std::shared_ptr<Scheduler> open(const std::map<std::string, std::string>& extra = {});
  const Target& target() const { return GetParam(); }
  std::string scratch_;  // a directory for this test's files
  std::shared_ptr<Scheduler> scheduler_;
};

// Ways to end a job from outside Cuttle, for Target::kill_from_outside: a TERM to the
// process group its wrapper recorded (the sandbox is on this machine), or a command run
// here (scancel, qdel).
void terminate_process_group(const JobStatus& status);
void run_outside(const std::vector<std::string>& argv);

// The shared hostile strings this target can carry: all of them, or the UTF-8 ones where
// the job travels as JSON (Kubernetes manifests; podman and docker, which refuse bytes that
// are not UTF-8 at submit - container_runtime_test.cc - instead of running another command).
std::vector<std::string> carried_hostile_strings(const Target& target, const std::string& canary);

// "/tmp/cuttle-<tag>-conformance-<pid>": a root for one test program's sandboxes, removed
// when the program exits.
std::string process_scratch_root(const std::string& tag);

}  // namespace cuttle::conformance

// (gtest pastes the suite name into identifiers, so it must be unqualified here.)
#define CUTTLE_CONFORMANCE(Name, target_expr)                                     \
  using ConformanceTest = ::cuttle::conformance::ConformanceTest;                 \
  INSTANTIATE_TEST_SUITE_P(Name, ConformanceTest, ::testing::Values(target_expr), \
                           [](const auto&) { return std::string(#Name); })
