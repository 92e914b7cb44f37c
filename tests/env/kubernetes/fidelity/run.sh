#!/bin/sh
# The Kubernetes emulator's fidelity suite: two real clients, kubectl and the official
# JavaScript client (@kubernetes/client-node, installed here by `npm ci` from the
# committed package-lock.json), drive the emulator started by tests/env/kubernetes.sh.
# Where a client and the emulator disagree, the emulator is wrong.
# Prints one PASS/FAIL line per test and closes with
#   kubernetes-emulator: N passed, M failed, K skipped
# (SKIP lines say why: a feature the installed kubectl lacks, e.g. Debian's 1.20).
# exiting non-zero when anything failed (or nothing ran).
# Usage: tests/env/kubernetes/fidelity/run.sh [kubectl|node]   (default: all, with the image)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ENV_SCRIPT="$HERE/../../kubernetes.sh"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
which=${1:-all}

env_lines=$("$ENV_SCRIPT" start) || {
  echo "kubernetes-emulator: 0 passed, 1 failed (the emulator did not start)"
  exit 1
}
eval "$env_lines"

if [ "$which" = all ]; then
  (cd "$HERE" && python3 image_test.py) 2>"$OUT.image.err" | tee -a "$OUT"
fi
if [ "$which" != node ]; then
  (cd "$HERE" && python3 kubectl_test.py) 2>"$OUT.kubectl.err" | tee -a "$OUT"
fi
if [ "$which" != kubectl ]; then
  if [ ! -d "$HERE/node_modules/@kubernetes/client-node" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
      echo "FAIL node.npm-ci: could not install @kubernetes/client-node" | tee -a "$OUT"
  fi
  if [ -d "$HERE/node_modules/@kubernetes/client-node" ]; then
    (cd "$HERE" && node client_node_test.mjs) 2>"$OUT.node.err" | tee -a "$OUT"
  fi
fi
passed=$(grep -c '^PASS ' "$OUT")
failed=$(grep -c '^FAIL ' "$OUT")
skipped=$(grep -c '^SKIP ' "$OUT")
if [ "$failed" -gt 0 ]; then
  echo "--- stderr of the failing runs:"
  cat "$OUT".*.err 2>/dev/null | tail -60
fi
rm -f "$OUT".*.err
echo "kubernetes-emulator: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
