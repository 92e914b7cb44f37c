#!/bin/sh
# Makes the cuttle package importable by the python3 first on PATH (or by $PYTHON):
# writes cuttle.pth, holding one directory, into that interpreter's site-packages.
#   bindings/python/install-pth.sh [DIR]     DIR holds cuttle/ (default: ./build/bindings/python)
#   bindings/python/install-pth.sh --remove
# Any CPython 3.11 can use the extension (it is built for 3.11).
set -eu
python=${PYTHON:-python3}
if [ "${1:-}" = "--remove" ]; then
  "$python" - <<'PY'
import os, sysconfig
path = os.path.join(sysconfig.get_paths()["purelib"], "cuttle.pth")
if os.path.exists(path):
    os.remove(path)
    print("removed", path)
PY
  exit 0
fi
dir=${1:-build/bindings/python}
if [ ! -d "$dir/cuttle" ]; then
  echo "install-pth.sh: $dir/cuttle does not exist (build first, or pass the directory)" >&2
  exit 1
fi
dir=$(cd "$dir" && pwd)
"$python" - "$dir" <<'PY'
import os, sys, sysconfig
target = sys.argv[1]
site = sysconfig.get_paths()["purelib"]
os.makedirs(site, exist_ok=True)
path = os.path.join(site, "cuttle.pth")
with open(path, "w") as f:
    f.write(target + "\n")
print(f"{sys.executable}: wrote {path} -> {target}")
PY
