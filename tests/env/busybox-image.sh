#!/bin/sh
# Builds the tests' container image without a registry: a busybox root file system from
# Debian's busybox-static, as
#   OUTDIR/rootfs/      a Charliecloud directory image (ch-run -b HOST:/work OUTDIR/rootfs -- cmd)
#   OUTDIR/rootfs.tar   the same tree as a tarball, for `podman import` / `docker import`
# and, when a podman command line is given after the directory, imports the tarball into
# that podman storage as localhost/busybox:latest (skipped when the image is already there).
# Idempotent; rebuilds only what is missing. Diagnostics go to stderr.
# Usage: tests/env/busybox-image.sh OUTDIR [podman --root R --runroot RR --storage-driver vfs]
set -eu
[ $# -ge 1 ] || {
  echo "usage: $0 OUTDIR [PODMAN_COMMAND...]" >&2
  exit 2
}
OUT=$1
shift
IMAGE=localhost/busybox:latest
BUSYBOX=/bin/busybox
# Enough for a job's shell, staging through tar and the tests' probes.
APPLETS="sh ash cat cp echo env false head hostname id kill ln ls mkdir mv printf pwd rm
rmdir sed sleep sort tail tar tee test touch tr true uname wc yes dd grep find xargs
md5sum sha256sum stat date expr seq timeout gzip gunzip"

[ -x "$BUSYBOX" ] || {
  echo "busybox-image.sh: $BUSYBOX is missing; install busybox-static (scripts/install-deps.sh)" >&2
  exit 1
}

build_rootfs() {
  tmp="$OUT/rootfs.new"
  rm -rf "$tmp"
  mkdir -p "$tmp/bin" "$tmp/etc" "$tmp/work" "$tmp/tmp" "$tmp/proc" "$tmp/sys" "$tmp/dev" \
    "$tmp/root" "$tmp/home" "$tmp/mnt" "$tmp/run" "$tmp/var/tmp"
  chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
  chmod 777 "$tmp/work"
  cp "$BUSYBOX" "$tmp/bin/busybox"
  for applet in $APPLETS; do ln -s busybox "$tmp/bin/$applet"; done
  mkdir -p "$tmp/usr"
  ln -s ../bin "$tmp/usr/bin"
  ln -s bin "$tmp/sbin"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' \
    >"$tmp/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
  # Charliecloud bind-mounts these host files over the image's; they must exist.
  : >"$tmp/etc/hosts"
  : >"$tmp/etc/resolv.conf"
  mv "$tmp" "$OUT/rootfs"
}

mkdir -p "$OUT"
[ -x "$OUT/rootfs/bin/busybox" ] || build_rootfs
if [ ! -s "$OUT/rootfs.tar" ]; then
  tar -C "$OUT/rootfs" --numeric-owner --owner=0 --group=0 -cf "$OUT/rootfs.tar.new" .
  mv "$OUT/rootfs.tar.new" "$OUT/rootfs.tar"
fi
if [ $# -gt 0 ]; then
  if ! "$@" image exists "$IMAGE"; then
    "$@" import --quiet --change 'CMD ["/bin/sh"]' "$OUT/rootfs.tar" "$IMAGE" >/dev/null
  fi
fi
