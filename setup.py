"""`pip install .` for the cuttle Python module.

It drives the project's CMake build for the interpreter that runs pip (so the extension
always matches it) and installs the package with libcuttle next to the extension. There
is deliberately no pyproject.toml: with one, pip builds in an isolated environment and
downloads setuptools from PyPI; without one it uses the setuptools of the environment it
runs in (Debian's python3-setuptools, or the copy `python3 -m venv` puts in every venv),
so the install works offline. Build dependencies are the Debian packages that
scripts/install-deps.sh --build-only installs.
"""

import glob
import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(HERE, "core", "include", "cuttle", "version.h")) as f:
        for line in f:
            if "kVersion" in line:
                return line.split('"')[1]
    raise RuntimeError("no kVersion in core/include/cuttle/version.h")


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    """Configures and builds the cuttle_python target, then copies the extension, the pure
    Python files and libcuttle into the package being installed."""

    def run(self):
        for ext in self.extensions:
            self.build_cmake(ext)

    def build_cmake(self, ext):
        tag = sysconfig.get_config_var("SOABI") or "py"
        # Beside ./build, at the same depth: with ccache (CCACHE_BASEDIR below) the
        # compiler sees the same relative paths as in a build by scripts/build.sh, so a
        # `pip install .` after that build reuses its objects instead of compiling again.
        build_dir = os.path.join(HERE, "build-pip-" + tag)
        configure = [
            "cmake", "-S", HERE, "-B", build_dir,
            # The optimised build users get from scripts/build.sh, with its flags.
            "-DCMAKE_BUILD_TYPE=Release",
            "-DPython3_EXECUTABLE=" + sys.executable,
            "-DCUTTLE_BUILD_TESTS=OFF", "-DCUTTLE_BUILD_BENCH=OFF", "-DCUTTLE_BUILD_REST=OFF",
            "-DCUTTLE_PYTHON_INSTALL_PTH=OFF", "-DCUTTLE_PYTHON_RPATH_ORIGIN=ON",
        ]
        if os.environ.get("CUTTLE_WERROR") == "1":
            configure += ["-DCUTTLE_WERROR=ON"]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        env = dict(os.environ)
        if shutil.which("ccache"):
            configure += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
            # As scripts/build.sh: share cache entries with the other build directories.
            env.setdefault("CCACHE_BASEDIR", os.path.dirname(HERE))
            env.setdefault("CCACHE_NOHASHDIR", "1")
        subprocess.check_call(configure, env=env)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "cuttle_python", "-j", jobs],
                              env=env)
        package = os.path.join(os.path.dirname(os.path.abspath(self.get_ext_fullpath(ext.name))))
        os.makedirs(package, exist_ok=True)
        built = os.path.join(build_dir, "bindings", "python", "cuttle")
        for path in glob.glob(os.path.join(built, "*")):
            if os.path.isfile(path):
                shutil.copy2(path, package)
        # libcuttle beside the extension, found through its $ORIGIN rpath.
        for path in glob.glob(os.path.join(build_dir, "core", "libcuttle.so*")):
            target = os.path.join(package, os.path.basename(path))
            if os.path.lexists(target):
                os.remove(target)
            if os.path.islink(path):
                os.symlink(os.readlink(path), target)
            else:
                shutil.copy2(path, target)


setup(
    name="cuttle",
    version=version(),
    description="Run jobs on local processes, SSH hosts, Slurm and Torque through one API",
    packages=["cuttle"],
    package_dir={"cuttle": "bindings/python/cuttle"},
    package_data={"cuttle": ["py.typed", "*.pyi"]},
    ext_modules=[CMakeExtension("cuttle._cuttle")],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    zip_safe=False,
)
