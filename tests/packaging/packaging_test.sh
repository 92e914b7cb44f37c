#!/usr/bin/env bash
# Installs Cuttle the two usual ways and uses the result as a user would:
#   1. `pip install .` into a fresh venv (no system site packages, no index: offline),
#      then `import cuttle` runs a job;
#   2. `cpack -G DEB` in the build directory, the package's contents checked with
#      dpkg-deb -c, unpacked into a throwaway root, and its `cuttle` and `import cuttle`
#      run from there.
# Also: importing the module on an interpreter it was not built for says how to fix it.
# Usage: packaging_test.sh SOURCE_DIR BUILD_DIR. Prints "packaging: N passed, M failed".
set -uo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() {  # check NAME COMMAND...: runs the command, records pass or fail
  local name=$1
  shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    printf '%s\n' "$out" | tail -n 20 | sed 's/^/     /'
  fi
}

job_script='
import cuttle
with cuttle.Scheduler("local://") as s:
    job = s.submit(executable="/bin/sh", arguments=["-c", "exit 3"], max_runtime="1m")
    status = job.wait(timeout=60)
    assert status.exit_code == 3, status
print("ran", cuttle.__version__)
'

# 1. pip install . into a fresh venv.
python=${PYTHON:-/usr/bin/python3}  # Debian's: its venv has pip 23.0 and setuptools
"$python" -m venv "$work/venv"
check "venv has no system site packages" \
  "$work/venv/bin/python" -c 'import sys; import importlib.util as u; sys.exit(u.find_spec("pytest") is not None)'
check "pip install . (offline, into the venv)" \
  env CMAKE_BUILD_PARALLEL_LEVEL=2 "$work/venv/bin/pip" install --no-index --no-cache-dir "$src"
check "import cuttle from the venv runs a job" \
  sh -c 'cd / && "$0" -c "$1"' "$work/venv/bin/python" "$job_script"

# 2. Loading the extension on the wrong interpreter explains itself.
mkdir -p "$work/wrong"
cp -r "$build/bindings/python/cuttle" "$work/wrong/"
for so in "$work"/wrong/cuttle/_cuttle*.so; do mv "$so" "$work/wrong/cuttle/_cuttle.cpython-39-x86_64-linux-gnu.so"; done
check "wrong interpreter: message says how to fix it" \
  sh -c 'PYTHONPATH="$0" "$1" -c "import cuttle" 2>&1 | grep -q "built for another Python.*pip install"' "$work/wrong" "$python"

# 3. The Debian package.
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1)
deb=$(ls "$work"/*.deb 2>/dev/null | head -n 1)
check "cpack -G DEB made a package" test -n "$deb"
[ -n "$deb" ] || tail -15 "$work/cpack.log" >&2
if [ -n "$deb" ]; then
  dpkg-deb -c "$deb" >"$work/contents"
  for path in usr/bin/cuttle 'usr/lib/.*libcuttle\.so\.0' usr/include/cuttle/cuttle.h \
    'cmake/cuttle/cuttleConfig.cmake' lib/systemd/system/cuttle.service etc/cuttle/serve.json \
    usr/share/man/man1/cuttle.1 usr/share/bash-completion/completions/cuttle \
    'cuttle/python/cuttle/__init__.py' 'cuttle/python/cuttle/_cuttle.*\.so' \
    usr/lib/python3/dist-packages/cuttle.pth; do
    check "package holds $path" grep -Eq "\./(.*/)?$path" "$work/contents"
  done
  dpkg-deb -x "$deb" "$work/root"
  check "packaged cuttle --version" sh -c '"$0/usr/bin/cuttle" --version | grep -q "^cuttle "' "$work/root"
  check "packaged cuttle runs a job" \
    sh -c '"$0/usr/bin/cuttle" submit --wait local:// -- /bin/sh -c "exit 3"; test $? -eq 3' "$work/root"
  pkg=$(dirname "$(dirname "$(find "$work/root" -path '*cuttle/python/cuttle/__init__.py' | head -n 1)")")
  check "packaged import cuttle runs a job" \
    sh -c 'cd / && PYTHONPATH="$0" "$2" -c "$1"' "$pkg" "$job_script" "$python"
  check "packaged man page renders" sh -c 'man -l "$0/usr/share/man/man1/cuttle.1" >/dev/null 2>&1 || groff -man -Tutf8 "$0/usr/share/man/man1/cuttle.1" >/dev/null' "$work/root"

  # 4. Installed for real, as a user would (`apt install ./cuttle.deb`) - only in the
  # disposable root of CI (scripts/fresh-root.sh sets CUTTLE_FRESH_ROOT), never on a
  # developer's machine. Then removed again.
  if [ "${CUTTLE_FRESH_ROOT:-}" = 1 ] && [ "$(id -u)" -eq 0 ]; then
    check "apt-get install of the package" \
      sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$0" >"$1" 2>&1 || { tail -20 "$1" >&2; exit 1; }' "$deb" "$work/apt.log"
    check "installed cuttle --version" sh -c '/usr/bin/cuttle --version | grep -q "^cuttle "'
    check "installed cuttle runs a job" \
      sh -c 'cd / && /usr/bin/cuttle submit --wait local:// -- /bin/sh -c "exit 3"; test $? -eq 3'
    check "installed import cuttle (system python) runs a job" \
      sh -c 'cd / && env -u PYTHONPATH /usr/bin/python3 -c "$0"' "$job_script"
    check "the service's user and unit are in place" \
      sh -c 'getent passwd cuttle >/dev/null && test -f /lib/systemd/system/cuttle.service'
    check "dpkg -r removes it" sh -c 'dpkg -r cuttle >/dev/null 2>&1 && ! test -e /usr/bin/cuttle'
  fi
fi

echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
