#!/usr/bin/env bash
# Installs everything, builds, starts the real servers (tests/env/*.sh), and runs every
# test: unit, conformance, integration (ctest), the libFuzzer targets (scripts/fuzz.sh),
# the Python tests (pytest), and the out-of-tree find_package(cuttle) check. Servers are
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${CUTTLE_BUILD_DIR:-build}
started=$(date +%s)
phase() { echo "== $1 (at +$(($(date +%s) - started)) s)" >&2; }

phase "install"
scripts/install-deps.sh
phase "build"
scripts/build.sh -DCUTTLE_BUILD_TESTS=ON -DCUTTLE_BUILD_BENCH=ON

envs=()
stop_envs() {
  for env in "${envs[@]}"; do "$env" stop >/dev/null 2>&1 || true; done
}
trap stop_envs EXIT
# The real servers the tests talk to (each prints the exports the tests read). Other
# scripts in tests/env/ are helpers these use.
for name in slurm sshd postgres podman kubernetes; do
  env=tests/env/$name.sh
  [ -x "$env" ] || continue
  phase "starting $(basename "$env" .sh)"
  exports=$("$env" start) || { echo "test environment $env failed to start" >&2; exit 1; }
  eval "$exports"
  envs+=("$env")
done

status=0
phase "ctest"
# No retries: a test that crashes, even once and at exit, is a failure to fix
# (scripts/exit-soak.sh runs the ssh test processes thousands of times).
ctest --test-dir "$build" --output-on-failure --timeout 600 -j2 || status=1

# Every parser of outside input, fuzzed for a bounded time (6 targets, 2 at a time:
# about 3 x CUTTLE_FUZZ_SECONDS plus the clang build); prints "fuzz: N passed, M failed".
phase "fuzz"
scripts/fuzz.sh "${CUTTLE_FUZZ_SECONDS:-30}" || status=1

if [ -d tests/python ] && ls tests/python/test_*.py >/dev/null 2>&1; then
  phase "pytest"
  PYTHONPATH="$root/$build/bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
    /usr/bin/python3 -m pytest -q tests/python || status=1
fi

phase "kubernetes emulator fidelity (kubectl and @kubernetes/client-node)"
tests/env/kubernetes/fidelity/run.sh || status=1

phase "find_package(cuttle) from an out-of-tree project"
prefix=$(mktemp -d)
cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S examples/consumer -B "$prefix/consumer-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer-build" >/dev/null
set +e
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" "$prefix/consumer-build/hello_cuttle" local:// 3
rc=$?
set -e
if [ "$rc" -eq 3 ]; then echo "consumer: 1 passed, 0 failed"; else echo "consumer: 0 passed, 1 failed (exit $rc)"; status=1; fi
rm -rf "$prefix"
phase "done"
exit $status
