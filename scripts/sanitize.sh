#!/usr/bin/env bash
# Builds and runs the tests under sanitizers, each in its own build directory:
#   build-asan (ASan + UBSan): the unit tests, the local conformance suites and the REST
#                              integration tests (their service binary is built the same way);
#   build-tsan (TSan):         the tracker and local scheduler tests.
# Any sanitizer report fails the test that triggered it (halt_on_error / exitcode).
# Usage: scripts/sanitize.sh [asan|tsan]...   (default: both)
# Env: CUTTLE_SANITIZE_JOBS (build parallelism, default nproc), CUTTLE_SANITIZE_BUILD_TYPE
#      (default Debug), CUTTLE_SANITIZE_ASAN_DIR, CUTTLE_SANITIZE_TSAN_DIR. The REST tests need the servers of tests/env (postgres).
# Prints one "sanitize <kind>: N passed, M failed (build Bs, tests Ts)" line per kind.
set -uo pipefail
cd "$(dirname "$0")/.."
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(asan tsan)
jobs=${CUTTLE_SANITIZE_JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# Debug (-O0 -g): about half the compile time of an optimised build on 2 cores, and exact
# stacks in the reports; the tests are dominated by processes and I/O, not by our code.
common=(-G Ninja -DCMAKE_BUILD_TYPE="${CUTTLE_SANITIZE_BUILD_TYPE:-Debug}" "${launcher[@]}"
        -DCUTTLE_BUILD_PYTHON=OFF -DCUTTLE_BUILD_BENCH=OFF)
# Reports fail the process; leaks are reported (LSan is part of ASan) and fail it too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

status=0
# run KIND DIR CMAKE_FLAGS TARGETS CTEST_REGEX
run() {
  local kind=$1 dir=$2 flags=$3 targets=$4 regex=$5 t0 t1 t2 log
  mkdir -p "$dir"
  log="$dir/sanitize.log"
  t0=$(date +%s)
  # shellcheck disable=SC2086
  if ! cmake -S . -B "$dir" "${common[@]}" $flags >"$log" 2>&1 ||
     ! cmake --build "$dir" -j"$jobs" --target $targets >>"$log" 2>&1; then
    echo "sanitize $kind: build failed (see $log)"
    status=1
    return
  fi
  t1=$(date +%s)
  ctest --test-dir "$dir" -R "$regex" --output-on-failure --timeout 600 -j2 >>"$log" 2>&1
  local rc=$?
  t2=$(date +%s)
  local summary passed failed
  summary=$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
  total=$(echo "$summary" | sed -E 's/.* out of ([0-9]+).*/\1/')
  if [ -z "$summary" ]; then failed=1 total=1; fi
  passed=$((total - failed))
  [ "$rc" -eq 0 ] || status=1
  grep -E '^ *[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)' "$log" | sed "s/^/  $kind /"
  echo "sanitize $kind: $passed passed, $failed failed (build $((t1 - t0))s, tests $((t2 - t1))s; log $log)"
}

unit_targets=$(cd tests/unit && ls *_test.cc | sed 's/^/unit_/; s/\.cc$//' | tr '\n' ' ')
rest_targets=$(cd tests/integration && ls rest_*_test.cc | sed 's/^/integration_/; s/\.cc$//' | tr '\n' ' ')
for kind in "${kinds[@]}"; do
  case "$kind" in
    asan)
      run asan "${CUTTLE_SANITIZE_ASAN_DIR:-build-asan}" "-DCUTTLE_ASAN=ON -DCUTTLE_UBSAN=ON" \
        "$unit_targets local_attached_conformance local_detached_conformance $rest_targets rest_test_serve cuttle_cli" \
        '^(unit\.|conformance\.Local|integration\.(Rest|ReadmeSession))'
      ;;
    tsan)
      run tsan "${CUTTLE_SANITIZE_TSAN_DIR:-build-tsan}" "-DCUTTLE_TSAN=ON" \
        "unit_tracker_test unit_local_scheduler_test" '^unit\.(Tracker|LocalSchedulerTest)\.'
      ;;
    *) echo "sanitize.sh: unknown kind '$kind' (asan or tsan)" >&2; exit 2 ;;
  esac
done
exit $status
