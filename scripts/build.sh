#!/usr/bin/env bash
# Configures and builds Cuttle into ./build (or $CUTTLE_BUILD_DIR). Extra arguments go to
# the configure step (e.g. -DCMAKE_BUILD_TYPE=Debug). ccache is used when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${CUTTLE_BUILD_DIR:-build}
launcher=()
if command -v ccache >/dev/null 2>&1; then
  # Worktrees and fresh clones of the same sources share cache entries.
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$(pwd)")} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
