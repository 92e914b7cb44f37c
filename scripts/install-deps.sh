#!/usr/bin/env bash
# Installs every Debian package Cuttle needs to build, test and benchmark.
# Idempotent; runs `apt-get update` first so a bare Debian 12 machine works.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  libboost-dev libboost-system-dev libboost-program-options-dev
  libpoco-dev libssh-dev libpugixml-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-dev pybind11-dev python3-pybind11 python3-pytest
  # packaging tests: pip install . into a venv, the Debian package and its man page
  python3-venv python3-setuptools dpkg-dev groff-base
  # real servers for the integration tests and benchmarks
  slurm-wlm slurm-wlm-torque munge openssh-server openssh-client
  postgresql nginx-light wrk curl procps iproute2
  # fuzzing
  clang libclang-rt-14-dev
)
if [ "${1:-}" = "--build-only" ]; then
  packages=(build-essential cmake ninja-build pkg-config libboost-dev libboost-system-dev
    libboost-program-options-dev libpoco-dev libssh-dev libpugixml-dev nlohmann-json3-dev
    libgtest-dev libgmock-dev libbenchmark-dev python3 python3-dev pybind11-dev curl)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
$SUDO apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
