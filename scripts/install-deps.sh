#!/usr/bin/env bash
# Installs every Debian package Cuttle needs to build, test and benchmark.
# Idempotent: when anything is missing it runs `apt-get update` first, so a bare Debian 12
# machine works; when nothing is, it touches no network.
# Usage: scripts/install-deps.sh [--build-only]   (--build-only: what scripts/run.sh needs)
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  libboost-dev
  libpoco-dev libpq-dev libssh-dev libssl-dev libpugixml-dev nlohmann-json3-dev libyaml-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-dev pybind11-dev python3-pybind11 python3-pytest
  # every build directory shares one compiler cache: a rebuild after `git pull`, a
  # second build type, the packaging test's `pip install .`
  ccache
  # packaging tests: pip install . into a venv, the Debian package (cpack needs `file`
  # for its shlibdeps) and its man page
  python3-venv python3-setuptools dpkg-dev groff-base file
  # real servers for the integration tests and benchmarks
  slurm-wlm slurm-wlm-torque munge openssh-server openssh-client
  # Lmod: the module system the launch tests load a module with (docs/launchers.md)
  lmod
  postgresql nginx-light wrk curl procps iproute2
  # container runtimes (docs/containers.md): podman with runc (its dependency would pick
  # crun, which fails on these machines' cgroup layout) and catatonit (--init),
  # Charliecloud, busybox-static for the locally built test image; openssl, util-linux
  # and nodejs for the Kubernetes test cluster (tests/env/kubernetes.sh)
  podman runc catatonit charliecloud-runtime busybox-static openssl util-linux nodejs
  # fuzzing
  clang libclang-rt-14-dev
)
if [ "${1:-}" = "--build-only" ]; then
  # What scripts/run.sh needs: the library, the service, the `cuttle` command and the
  # Python module (no tests, no benchmarks), and curl for the README session.
  packages=(build-essential cmake ninja-build pkg-config ccache libboost-dev libpoco-dev libpq-dev
    libssh-dev libssl-dev libpugixml-dev nlohmann-json3-dev libyaml-dev python3 python3-dev pybind11-dev curl)
fi
if [ "${1:-}" != "--build-only" ]; then
  # Clients for the Kubernetes emulator's fidelity tests. A machine that already has
  # kubectl (e.g. a version dispatcher) or npm (NodeSource's nodejs bundles it, and
  # Debian's npm would conflict with it) keeps its own.
  command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
