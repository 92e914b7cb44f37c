#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan in their own build
# directory, replays the regression inputs, then fuzzes each target for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 20)
# Env: CUTTLE_FUZZ_BUILD_DIR (default build-fuzz), CUTTLE_FUZZ_JOBS (parallel targets, 2).
# Crashing inputs are left in $CUTTLE_FUZZ_BUILD_DIR/crashes/<target>/: fix the bug, then
# copy the input to tests/fuzz/regressions/<target>/ so it is replayed from then on.
# Prints "fuzz: N passed, M failed" last; exits non-zero when any target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number, got '$seconds'" >&2; exit 2 ;; esac
build=${CUTTLE_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${CUTTLE_FUZZ_JOBS:-2}
clangxx=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$clangxx" ]; then
  echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs clang)" >&2
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi
mkdir -p "$build"
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# Warnings are gated by the gcc build; clang's own set is not held to -Werror here.
targets=$(cd tests/fuzz && ls fuzz_*.cc | sed 's/\.cc$//')
if ! cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$clangxx" \
      "${launcher[@]}" -DCUTTLE_FUZZ=ON -DCUTTLE_WERROR=OFF -DCUTTLE_BUILD_PYTHON=OFF \
      -DCUTTLE_BUILD_BENCH=OFF >"$build/configure.log" 2>&1 ||
   ! cmake --build "$build" -j"${CUTTLE_FUZZ_BUILD_JOBS:-$(nproc)}" --target $targets; then
  echo "fuzz.sh: building the fuzz targets failed (see $build/configure.log and the output above)" >&2
  echo "fuzz: 0 passed, $(echo $targets | wc -w) failed"
  exit 1
fi

work="$build/fuzz-run"
rm -rf "$work"
mkdir -p "$work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target: replay regressions and seeds, then fuzz from the seeds for $seconds.
run_target() {
  local name=$1 log="$work/$1.log" crashes="$build/crashes/$1"
  local seeds=("tests/fuzz/corpus/$name")
  case "$name" in
    fuzz_slurm) seeds+=(adaptors/slurm/testdata) ;;
    fuzz_torque) seeds+=(adaptors/torque/testdata) ;;
  esac
  local regressions=()
  [ -d "tests/fuzz/regressions/$name" ] && regressions=("tests/fuzz/regressions/$name")
  mkdir -p "$work/$name.corpus" "$crashes"
  if ! "$build/tests/fuzz/$name" -runs=0 "${regressions[@]}" "${seeds[@]}" >"$log" 2>&1; then
    echo "FAIL $name: a regression or seed input fails (see $log)"
    return 1
  fi
  if "$build/tests/fuzz/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -artifact_prefix="$crashes/" -print_final_stats=1 \
       "$work/$name.corpus" "${seeds[@]}" >>"$log" 2>&1; then
    echo "ok   $name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs in ${seconds}s"
  else
    echo "FAIL $name: crash input in $crashes/ (see $log)"
    grep -m1 -E 'ERROR: |runtime error:|deadly signal' "$log" | sed 's/^/     /'
    return 1
  fi
}

passed=0 failed=0
pids=() names=()
for name in $targets; do
  run_target "$name" &
  pids+=($!) names+=("$name")
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    if wait "${pids[0]}"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do
  if wait "$pid"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
