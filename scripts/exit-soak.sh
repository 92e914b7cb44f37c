#!/usr/bin/env bash
# Runs short ssh test processes N times in a row and counts the ones that did not exit
# cleanly: killed by a signal (a crash at exit shows up here) or a non-zero exit.
# A crash leaves its core dump and output in $CUTTLE_SOAK_DIR (default /tmp/exit-soak-PID)
# for gdb. Needs the test sshd: eval "$(tests/env/sshd.sh start)".
# Usage: scripts/exit-soak.sh [N] [BINARY] [GTEST_FILTER]
#   default: 200 runs, rotating three short ssh conformance tests (session pool, poll
#   thread, keep-alive thread, SFTP staging), from ${CUTTLE_BUILD_DIR:-build}; each run is
#   one test process, as ctest runs them.
# Prints "exit-soak: N runs, C crashed, F failed" last; exits non-zero when any run did.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
case "$runs" in '' | *[!0-9]*) echo "exit-soak.sh: N must be a whole number, got '$runs'" >&2; exit 2 ;; esac
build=${CUTTLE_BUILD_DIR:-build}
if [ $# -ge 2 ]; then
  cases=("$2|${3:-*}")
else
  cases=("$build/tests/conformance/ssh_conformance|*/ConformanceTest.SubmitAndWaitReportsCompleted/*"
         "$build/tests/conformance/ssh_conformance|*/ConformanceTest.NonZeroExitIsFailedWithExitCode/*"
         "$build/tests/conformance/ssh_conformance|*/ConformanceTest.StageInAndOutRoundTrip/*")
fi
for c in "${cases[@]}"; do
  [ -x "${c%%|*}" ] || { echo "exit-soak.sh: ${c%%|*} is not built" >&2; exit 2; }
done
[ -n "${CUTTLE_TEST_SSH_PORT:-}" ] || { echo "exit-soak.sh: no test sshd (eval \"\$(tests/env/sshd.sh start)\")" >&2; exit 2; }
dir=${CUTTLE_SOAK_DIR:-/tmp/exit-soak-$$}
mkdir -p "$dir"
ulimit -c unlimited 2>/dev/null || true
crashed=0 failed=0 started=$(date +%s)
for ((i = 1; i <= runs; i++)); do
  c=${cases[$(((i - 1) % ${#cases[@]}))]}
  binary=${c%%|*} filter=${c#*|}
  (cd "$dir" && exec "$(cd "$OLDPWD" && realpath "$binary")" --gtest_filter="$filter" >"$dir/last.log" 2>&1)
  rc=$?
  if [ "$rc" -ge 128 ]; then
    crashed=$((crashed + 1))
    cp "$dir/last.log" "$dir/crash-$i.log"
    [ -f "$dir/core" ] && mv "$dir/core" "$dir/core-$i"
    echo "run $i: $(basename "$binary") killed by signal $((rc - 128)) (log $dir/crash-$i.log)" >&2
  elif [ "$rc" -ne 0 ] || grep -q '^\[  SKIPPED \]' "$dir/last.log"; then
    failed=$((failed + 1))
    cp "$dir/last.log" "$dir/failed-$i.log"
    echo "run $i: $(basename "$binary") exited $rc or skipped (log $dir/failed-$i.log)" >&2
  fi
  if ((i % 100 == 0)); then echo "exit-soak: $i/$runs runs, $crashed crashed, $failed failed, $(($(date +%s) - started))s" >&2; fi
done
echo "exit-soak: $runs runs, $crashed crashed, $failed failed ($(($(date +%s) - started))s)"
[ "$crashed" -eq 0 ] && [ "$failed" -eq 0 ]
