#!/bin/sh
# A private, rootful podman for the tests: configuration and storage under
# ${CUTTLE_PODMAN_DIR:-/tmp/cuttle-env/podman}, and the busybox test image
# (tests/env/busybox-image.sh) imported into it as localhost/busybox:latest, with the
# Charliecloud directory image at $DIR/image/rootfs. Podman reads both files through the
# environment, so a plain `podman run ...` (the argv Cuttle renders) uses them.
# On these machines podman needs runc (crun fails on the hybrid cgroup layout), cgroupfs,
# file events and default ulimits within the host's.
# `start` is idempotent and prints the export lines; diagnostics go to stderr. `stop`
# removes the containers left in this storage; the image stays for the next start.
# Usage: eval "$(tests/env/podman.sh start)"; tests/env/podman.sh stop
set -eu
DIR=${CUTTLE_PODMAN_DIR:-/tmp/cuttle-env/podman}
HERE=$(cd "$(dirname "$0")" && pwd)
CONTAINERS_CONF=$DIR/containers.conf
CONTAINERS_STORAGE_CONF=$DIR/storage.conf
export CONTAINERS_CONF CONTAINERS_STORAGE_CONF

start() {
  command -v podman >/dev/null 2>&1 || {
    echo "podman.sh: podman is missing; install it (scripts/install-deps.sh)" >&2
    exit 1
  }
  mkdir -p "$DIR"
  cat >"$CONTAINERS_CONF" <<CONF
# Written by tests/env/podman.sh for Cuttle's tests.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  cat >"$CONTAINERS_STORAGE_CONF" <<CONF
# Written by tests/env/podman.sh: the tests' own image and container store.
[storage]
driver = "vfs"
graphroot = "$DIR/root"
runroot = "$DIR/runroot"
CONF
  "$HERE/busybox-image.sh" "$DIR/image" podman >&2
  echo "export CONTAINERS_CONF='$CONTAINERS_CONF'"
  echo "export CONTAINERS_STORAGE_CONF='$CONTAINERS_STORAGE_CONF'"
  echo "export CUTTLE_TEST_CONTAINER_ROOTFS='$DIR/image/rootfs'"
}

case "${1:-}" in
  start) start ;;
  stop) [ ! -f "$CONTAINERS_STORAGE_CONF" ] || podman rm --all --force >/dev/null 2>&1 || true ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
