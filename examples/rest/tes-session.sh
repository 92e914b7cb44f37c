#!/bin/sh
# A GA4GH TES session against `cuttle serve` (no --config: 127.0.0.1:9998, local jobs, no
# token; CUTTLE_URL points elsewhere, CUTTLE_TOKEN adds a bearer token). Run it from any
# directory under $HOME or /tmp (the default tes.roots): it posts a task whose input is
# given inline and whose output comes back to ./tes-out/count.txt, waits for its final
# state, prints the task (view=FULL) and the output, and exits 0 only when the task is
# COMPLETE. IMAGE picks the container image (default: busybox).
set -eu
url=${CUTTLE_URL:-http://localhost:9998}/ga4gh/tes/v1
image=${IMAGE:-busybox}
auth=${CUTTLE_TOKEN:+Authorization: Bearer $CUTTLE_TOKEN}
mkdir -p tes-out
cat > tes-task.json <<JSON
{
  "name": "count words",
  "tags": {"example": "tes-session"},
  "inputs": [{"path": "/work/in/lorem.txt", "content": "Lorem ipsum dolor sit amet\n"}],
  "outputs": [{"path": "/work/out/count.txt", "url": "file://$(pwd)/tes-out/count.txt"}],
  "volumes": ["/work/out"],
  "resources": {"cpu_cores": 1, "ram_gb": 0.5},
  "executors": [{
    "image": "$image",
    "command": ["/bin/sh", "-c", "wc -w < /work/in/lorem.txt > /work/out/count.txt; echo counted"]
  }]
}
JSON
id=$(curl -sf -H "Content-Type: application/json" ${auth:+-H "$auth"} -d @tes-task.json \
  "$url/tasks" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$id" ] || { echo "tes-session.sh: the service at $url did not accept the task" >&2; exit 1; }
echo "task: $id"
tries=0
while :; do
  state=$(curl -sf ${auth:+-H "$auth"} "$url/tasks/$id" | sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p')
  case $state in COMPLETE | EXECUTOR_ERROR | SYSTEM_ERROR | CANCELED) break ;; esac
  tries=$((tries + 1))
  [ "$tries" -lt 120 ] || { echo "tes-session.sh: still $state after a minute" >&2; exit 1; }
  sleep 0.5
done
curl -sf ${auth:+-H "$auth"} "$url/tasks/$id?view=FULL"
echo
echo "count.txt: $(cat tes-out/count.txt 2>/dev/null)"
[ "$state" = COMPLETE ]
