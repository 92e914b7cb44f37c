#!/usr/bin/env bash
# Installs what Cuttle needs, builds it, makes `import cuttle` work for python3, and
# starts the REST service on 127.0.0.1:9998 (embedded SQLite store, local adaptor).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build-only
scripts/build.sh -DCUTTLE_BUILD_TESTS=OFF -DCUTTLE_BUILD_BENCH=OFF
build=${CUTTLE_BUILD_DIR:-build}
# `import cuttle` for the python3 first on PATH (a .pth file pointing into the build).
bindings/python/install-pth.sh "$build/bindings/python"
exec "$build/bindings/cli/cuttle" serve "$@"
