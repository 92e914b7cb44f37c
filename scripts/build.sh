#!/usr/bin/env bash
# Configures and builds Cuttle into ./build (or $CUTTLE_BUILD_DIR): the optimised Release
# build users get. Extra arguments go to the configure step (e.g.
# -DCMAKE_BUILD_TYPE=RelWithDebInfo). CUTTLE_WERROR=1 makes warnings errors (CI and
# developers; off for users, so a newer compiler's new warning never breaks their build).
# ccache is used when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${CUTTLE_BUILD_DIR:-build}
flags=()
[ "${CUTTLE_WERROR:-0}" = 1 ] && flags+=(-DCUTTLE_WERROR=ON)
if command -v ccache >/dev/null 2>&1; then
  # Worktrees and fresh clones of the same sources share cache entries.
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$(pwd)")} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
  flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${flags[@]}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
