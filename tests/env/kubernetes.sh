#!/bin/sh
# Starts (or stops) the Kubernetes test cluster: an API-server emulator (Python, stdlib
# only; tests/env/kubernetes/k8semu) on https://127.0.0.1:$CUTTLE_K8S_PORT (default 16443)
# whose pods run for real in rootful podman, with its own storage under
# /tmp/cuttle-env/kubernetes. Certificates (a CA, the server's, a client's) and a bearer
# token are made with openssl at first start; a kubeconfig with a token user (the current
# context) and a certificate user is written there too.
# `start` is idempotent and prints the export lines the tests read; everything else goes
# to stderr. `stop` ends only the emulator named in our pid file and removes only the
# containers carrying this instance's label. Faults: see docs/testing.md.
# Usage: eval "$(tests/env/kubernetes.sh start)"; tests/env/kubernetes.sh stop
#        tests/env/kubernetes.sh fault '{"status429": 2}'   (or: fault reset, fault show)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${CUTTLE_K8S_STATE:-/tmp/cuttle-env/kubernetes}
PORT=${CUTTLE_K8S_PORT:-16443}
NAMESPACE=${CUTTLE_K8S_NAMESPACE:-cuttle-test}
BOOKMARK_INTERVAL=${CUTTLE_K8S_BOOKMARK_INTERVAL:-5}
SERVER=https://127.0.0.1:$PORT
INSTANCE=cuttle-$PORT

log() { echo "kubernetes.sh: $*" >&2; }

podman_argv() {
  printf '%s\n' podman --root "$STATE/storage" --runroot "$STATE/run" --storage-driver vfs
}

containers_conf() {
  mkdir -p "$STATE/tmp"
  # crun fails on this machine's hybrid cgroup layout; ulimits above the host's make
  # setrlimit fail; journald is not running in a test root.
  cat >"$STATE/containers.conf" <<CONF
# Written by tests/env/kubernetes.sh for the emulator's podman (CONTAINERS_CONF).
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$STATE/tmp"
CONF
}

certificates() {
  d="$STATE/pki"
  [ -s "$d/client.crt" ] && return 0
  mkdir -p "$d"
  chmod 700 "$d"
  ssl() { openssl "$@" 2>/dev/null; }
  ssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cuttle-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
    >"$d/server.ext"
  ssl req -newkey rsa:2048 -nodes -subj "/CN=cuttle-emulator" \
    -keyout "$d/server.key" -out "$d/server.csr"
  ssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 3650 -extfile "$d/server.ext" -out "$d/server.crt"
  printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
  ssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=cuttle-test" \
    -keyout "$d/client.key" -out "$d/client.csr"
  ssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 3650 -extfile "$d/client.ext" -out "$d/client.crt"
  [ -s "$d/token" ] || od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$d/token"
  chmod 600 "$d"/*.key "$d/token"
}

b64() { base64 -w0 <"$1"; }

kubeconfig() {
  d="$STATE/pki"
  cat >"$STATE/kubeconfig.new" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: cuttle-emulator
  cluster:
    server: $SERVER
    certificate-authority-data: $(b64 "$d/ca.crt")
users:
- name: cuttle-token
  user:
    token: $(cat "$d/token")
- name: cuttle-cert
  user:
    client-certificate-data: $(b64 "$d/client.crt")
    client-key-data: $(b64 "$d/client.key")
contexts:
- name: cuttle-emulator
  context: {cluster: cuttle-emulator, user: cuttle-token, namespace: $NAMESPACE}
- name: cuttle-emulator-cert
  context: {cluster: cuttle-emulator, user: cuttle-cert, namespace: $NAMESPACE}
current-context: cuttle-emulator
preferences: {}
YAML
  chmod 600 "$STATE/kubeconfig.new"
  mv "$STATE/kubeconfig.new" "$STATE/kubeconfig"
}

running() {
  [ -s "$STATE/emulator.pid" ] && kill -0 "$(cat "$STATE/emulator.pid")" 2>/dev/null
}

healthy() {
  curl -fsS --max-time 2 --cacert "$STATE/pki/ca.crt" "$SERVER/healthz" >/dev/null 2>&1
}

start() {
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  # Several test runs may start the shared cluster at once: one starts it, the others
  # wait and find it healthy (a second emulator would fail to bind and take the pid file).
  exec 9>"$STATE/start.lock"
  flock 9
  containers_conf
  export CONTAINERS_CONF="$STATE/containers.conf"
  certificates
  kubeconfig
  # shellcheck disable=SC2046 # the argv lines are words without spaces
  "$HERE/busybox-image.sh" "$STATE/image" $(podman_argv)
  if running && healthy; then return 0; fi
  remove_containers  # a crashed instance's pods: the new one starts with no objects
  argv_json=$(podman_argv | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()))')
  (
    # conmon drops files (e.g. "oom") into its working directory: keep them in the state.
    cd "$STATE"
    PYTHONPATH="$HERE/kubernetes" exec setsid python3 -m k8semu --port "$PORT" --state-dir "$STATE" \
      --cert "$STATE/pki/server.crt" --key "$STATE/pki/server.key" \
      --client-ca "$STATE/pki/ca.crt" --token-file "$STATE/pki/token" \
      --podman "$argv_json" --instance "$INSTANCE" --namespace "$NAMESPACE" \
      --bookmark-interval "$BOOKMARK_INTERVAL" \
      </dev/null >>"$STATE/emulator.log" 2>&1 9>&-
  ) &
  echo $! >"$STATE/emulator.pid"
  i=0
  until healthy; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! running; then
      log "the emulator did not answer on $SERVER within 10 s; see $STATE/emulator.log"
      exit 1
    fi
    sleep 0.1
  done
}

stop() {
  export CONTAINERS_CONF="$STATE/containers.conf"
  if [ -s "$STATE/emulator.pid" ]; then
    pid=$(cat "$STATE/emulator.pid")
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
      i=$((i + 1))
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/emulator.pid"
  fi
  remove_containers
}

remove_containers() {
  if [ -d "$STATE/storage" ]; then
    # shellcheck disable=SC2046
    ids=$($(podman_argv) ps -a -q --filter "label=k8semu.instance=$INSTANCE" 2>/dev/null || true)
    # shellcheck disable=SC2046,SC2086
    [ -z "$ids" ] || $(podman_argv) rm --force --time 0 $ids >/dev/null 2>&1 || true
  fi
  rm -rf "$STATE/pods"
}

fault() {
  case "$1" in
    reset) method=DELETE body= ;;
    show) method=GET body= ;;
    *) method=POST body=$1 ;;
  esac
  curl -sS --fail-with-body --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $(cat "$STATE/pki/token")" \
    -H 'Content-Type: application/json' -X "$method" ${body:+--data "$body"} \
    "$SERVER/emulator/faults"
  echo
}

print_exports() {
  echo "export KUBECONFIG=$STATE/kubeconfig"
  echo "export CUTTLE_TEST_K8S_KUBECONFIG=$STATE/kubeconfig"
  echo "export CUTTLE_TEST_K8S_SERVER=$SERVER"
  echo "export CUTTLE_TEST_K8S_NAMESPACE=$NAMESPACE"
  echo "export CUTTLE_TEST_K8S_TOKEN=$(cat "$STATE/pki/token")"
  echo "export CUTTLE_TEST_K8S_CA=$STATE/pki/ca.crt"
  echo "export CUTTLE_TEST_K8S_CLIENT_CERT=$STATE/pki/client.crt"
  echo "export CUTTLE_TEST_K8S_CLIENT_KEY=$STATE/pki/client.key"
  echo "export CUTTLE_TEST_K8S_IMAGE=localhost/busybox:latest"
  echo "export CUTTLE_TEST_K8S_FAULTS=$SERVER/emulator/faults"
  echo "export CUTTLE_TEST_K8S_ENV_SCRIPT=$HERE/kubernetes.sh"
  echo "export CUTTLE_TEST_BUSYBOX_ROOTFS=$STATE/image/rootfs"
}

case "${1:-}" in
  start)
    start
    print_exports
    ;;
  stop) stop ;;
  fault) fault "${2:?fault needs a JSON object, reset or show}" ;;
  *)
    echo "usage: $0 start|stop|fault JSON|fault reset|fault show" >&2
    exit 2
    ;;
esac
