#!/usr/bin/env bash
# The README's first command as a new user meets it: `scripts/run.sh` installs what it
# needs, builds, and serves on 127.0.0.1:9998; /health answers; the joblauncher session of
# docs/rest.md ends DONE with output_file back in the job directory; SIGTERM stops the
# service. Prints `first-command: N passed, M failed` and exits non-zero on a failure.
# Usage: tests/smoke/first-command.sh   (from anywhere; CUTTLE_SMOKE_PORT overrides 9998)
set -uo pipefail
cd "$(dirname "$0")/../.."
port=${CUTTLE_SMOKE_PORT:-9998}
url="http://127.0.0.1:$port"
work=$(mktemp -d /tmp/cuttle-smoke.XXXXXX)
passed=0 failed=0
check() {  # NAME COMMAND...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1)) && echo "first-command: ok   $name"
  else
    failed=$((failed + 1)) && echo "first-command: FAIL $name" >&2
  fi
}
finish() {
  # run.sh and whatever it still runs (apt, the build) are one process group.
  [ -n "${server:-}" ] && kill -TERM -- "-$server" 2>/dev/null
  echo "first-command: $passed passed, $failed failed"
  rm -rf "$work"
  [ "$failed" -eq 0 ]
}
trap 'finish; exit $?' EXIT

listen=()
[ "$port" = 9998 ] || listen=(--listen "127.0.0.1:$port")
: >"$work/serve.log"  # the background job opens it later; the first grep must find it
setsid scripts/run.sh "${listen[@]}" >"$work/serve.log" 2>&1 &
server=$!

healthy() {
  local start=$SECONDS
  # run.sh installs and builds first, which takes as long as the machine needs; once the
  # service says it listens, /health must answer at once.
  while [ $((SECONDS - start)) -lt 7200 ]; do
    if grep -q 'msg=listening' "$work/serve.log"; then
      for _ in $(seq 1 50); do
        curl -sf "$url/health" >/dev/null 2>&1 && return 0
        sleep 0.1
      done
      echo "first-command: listening, but /health did not answer within 5 s" >&2
      return 1
    fi
    kill -0 "$server" 2>/dev/null || { tail -20 "$work/serve.log" >&2; return 1; }
    sleep 1
  done
  echo "first-command: the service did not start within 2 hours" >&2
  return 1
}
check "/health answers" healthy

# The example a user is pointed to (docs/rest.md), run as it is.
session() {
  (repo=$PWD && cd "$work" && CUTTLE_URL=$url sh "$repo/examples/rest/session.sh") >"$work/session.log" 2>&1 ||
    { cat "$work/session.log" >&2; return 1; }
  grep -qx '1 input_file' "$work/myjob/output_file"
}
check "README session ends DONE with output_file back" session

stops_on_sigterm() {
  local i
  kill -TERM "$server" || return 1
  for i in $(seq 1 100); do
    kill -0 "$server" 2>/dev/null || { wait "$server"; local rc=$?; server=; [ "$rc" -eq 0 ]; return; }
    sleep 0.1
  done
  return 1
}
check "SIGTERM stops the service (exit 0)" stops_on_sigterm
