#!/usr/bin/env bash
# Runs a command in a fresh, minimal Debian 12 root, the way a new user's machine starts:
# nothing installed but debootstrap's minbase, this checkout copied in with ../shared
# beside it. CI (.ci/run) runs the README's test command this way; a developer reproduces
# a CI failure with the same call.
#
# Usage: scripts/fresh-root.sh [--keep] COMMAND...   (COMMAND runs in the checkout's copy)
#   e.g. scripts/fresh-root.sh scripts/test.sh
#
# The bootstrapped base is cached as a tarball outside the checkout
# ($CUTTLE_FRESH_ROOT_CACHE, default /var/cache/cuttle-ci) and made when absent; downloaded
# .deb files are kept there too and copied in, so later runs download less (every package
# is still installed by the project's own scripts). The root lives in its own mount and PID
# namespaces: /proc is the namespace's own, so the root's processes see only each other
# (a daemon found by name could not be another one on the host), and every process and
# mount of the root is gone when the command ends, on every exit path. The root itself is
# removed afterwards unless --keep is given. Needs root and debootstrap (installed when
# missing).
set -euo pipefail
keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--keep] COMMAND..." >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (debootstrap, namespaces, mounts)" >&2; exit 1; }

checkout=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$checkout")
shared=$(cd "$checkout/.." && pwd)/shared
cache=${CUTTLE_FRESH_ROOT_CACHE:-/var/cache/cuttle-ci}
suite=bookworm
mirror=${CUTTLE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base="$cache/$suite-minbase.tar"

log() { echo "fresh-root: $*" >&2; }
phase_start=$(date +%s)
phase() {  # NAME: prints how long the previous phase took
  local now
  now=$(date +%s)
  log "$1 (+$((now - phase_start)) s)"
  phase_start=$now
}

mkdir -p "$cache/apt-archives/partial"
if [ ! -s "$base" ]; then
  command -v debootstrap >/dev/null 2>&1 || {
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
  }
  tmp=$(mktemp -d /var/tmp/cuttle-bootstrap.XXXXXX)
  log "bootstrapping a minimal $suite into $tmp"
  debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >&2
  tar -C "$tmp" -cf "$base.partial" .
  mv "$base.partial" "$base"
  rm -rf "$tmp"
  phase "base cached in $base"
fi

root=$(mktemp -d /var/tmp/cuttle-fresh-root.XXXXXX)
cleanup() {
  # The namespaces took the mounts and processes with them; only files are left.
  if [ "$keep" -eq 1 ]; then log "root kept in $root"; else rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT
tar -C "$root" -xf "$base"
# mktemp made both the bootstrap directory and this one 0700, and tar restores the mode the
# base recorded for ".": a "/" only root may enter refuses every other user /bin/sh
# (munge's, postgres's and sshd's package scripts). "/" is 0755 as on every Debian machine.
chmod 755 "$root"
mkdir -p "$root/work/$name" "$root/work/shared"
# The checkout as it is (uncommitted changes too), without build trees.
tar -C "$checkout" --exclude='./build' --exclude='./build-*' -cf - . | tar -C "$root/work/$name" -xf -
[ -d "$shared" ] && cp -a "$shared/." "$root/work/shared/"
cp /etc/hosts /etc/resolv.conf "$root/etc/"
# Services that packages would start on install are started by the tests themselves.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
# The .deb files of earlier runs, copied (never shared: two roots at once would fight
# over apt's lock); new ones are copied back when the command ends.
cp -a "$cache/apt-archives/." "$root/var/cache/apt/archives/"
chmod 755 "$root/usr/sbin/policy-rc.d"
phase "root ready in $root"

# What the command sees of the caller's environment: CI's flag and the project's own knobs.
# CUTTLE_FRESH_ROOT tells tests that the machine is disposable (tests/packaging installs
# the .deb system-wide only then).
envs=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  LANG=C.UTF-8 TERM="${TERM:-dumb}" USER=root LOGNAME=root CUTTLE_FRESH_ROOT=1)
for key in $(compgen -e); do
  case "$key" in CI | CUTTLE_*) envs+=("$key=${!key}") ;; esac
done
# A machine whose HTTPS goes through an intercepting proxy names its CA for Node here;
# without it `npm ci` (the Kubernetes fidelity tests' JS client) fails in the root with
# SELF_SIGNED_CERT_IN_CHAIN. Only that certificate file crosses, nothing else.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$root/etc/host-extra-ca.crt"
  envs+=(NODE_EXTRA_CA_CERTS=/etc/host-extra-ca.crt)
fi

quoted=$(printf '%q ' "$@")
set +e
unshare --mount --pid --fork --propagation private -- /bin/bash -c '
  set -e
  root=$1
  shift
  # The root must be a mount point: pivot_root needs one, and container storage (podman
  # import/run) remounts "/" private, which fails with EINVAL on a plain directory.
  mount --bind "$root" "$root"
  mount --rbind /dev "$root/dev"
  mount --rbind /sys "$root/sys"
  mount -t proc proc "$root/proc"
  # pivot_root, not chroot: the kernel refuses user namespaces to a chrooted process, and
  # unprivileged runtimes (Charliecloud) need them, as on a real machine.
  cd "$root"
  mkdir -p .host-root
  pivot_root . .host-root
  cd /
  /usr/bin/umount -l /.host-root
  /usr/bin/rmdir /.host-root
  exec /usr/bin/env -i "$@"
' fresh-root "$root" "${envs[@]}" \
  /bin/bash -c "cd /work/$name && $quoted"
rc=$?
set -e
cp -n "$root"/var/cache/apt/archives/*.deb "$cache/apt-archives/" 2>/dev/null || true
phase "command ended with exit code $rc"
exit $rc
