// The conformance suite for kubernetes:// against the API-server emulator of
// tests/env/kubernetes.sh (pods run for real in podman), with the kubeconfig it writes
// (CA verified, bearer token). Jobs run in the test image (default.image), so the suite's
// /bin/sh, /bin/echo and /bin/sleep commands are busybox's.
// What the adaptor cannot do is switched off here, each with its reason:
//  - utf8_only: the API carries strings as JSON; non-UTF-8 hostile strings are refused;
//  - shared_files: every job is a pod with its own /work, so a file one job writes is not
//    there for the next (the working-directory and retry-flag tests need that);
//  - kill_from_outside: deleting the Job is tested in tests/integration (a deleted
//    unfinished Job is Error, not Cancelled: the lifecycle suite expects the latter).

#include "tests/conformance/test_servers.h"

namespace {

using cuttle::conformance::env;

cuttle::conformance::Target kubernetes_target() {
  cuttle::conformance::Target t;
  t.location = "kubernetes://?namespace=" + env("CUTTLE_TEST_K8S_NAMESPACE");
  t.properties = {{"kubeconfig", env("CUTTLE_TEST_K8S_KUBECONFIG")},
                  {"default.image", env("CUTTLE_TEST_K8S_IMAGE")},
                  {"logs.root", cuttle::conformance::process_scratch_root("kubernetes")},
                  {"cancel.grace", "2s"}};
  t.require = cuttle::conformance::require_servers(
      {{"CUTTLE_TEST_K8S_KUBECONFIG",
        "the Kubernetes emulator (eval \"$(tests/env/kubernetes.sh start)\")"}});
  t.job_timeout = std::chrono::seconds(60);
  t.detached = true;
  t.cancel_grace = std::chrono::seconds(2);
  t.supports_extend = true;
  t.shared_files = false;
  t.utf8_only = true;
  return t;
}

}  // namespace

CUTTLE_CONFORMANCE(Kubernetes, kubernetes_target());
