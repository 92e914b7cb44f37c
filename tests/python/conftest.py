"""Fixtures for the Python tests of the cuttle module.

Run from the repository root with the built package on the path:
    PYTHONPATH=build/bindings/python /usr/bin/python3 -m pytest -q tests/python
Tests that need the real Slurm or sshd (tests/env/*.sh) skip when their variables are
not exported.
"""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import cuttle

# One short job must finish well within this; generous for a loaded 2-core machine.
JOB_TIMEOUT = 60


@pytest.fixture
def scheduler():
    with cuttle.Scheduler("local://") as s:
        yield s


@pytest.fixture(params=["attached", "detached"])
def any_local(request, tmp_path):
    """local:// in both modes (detached jobs run through the sandbox wrapper)."""
    properties = {"mode": request.param}
    if request.param == "detached":
        properties["sandbox.root"] = str(tmp_path / "sandboxes")
    with cuttle.Scheduler("local://", properties=properties) as s:
        yield s


def run(scheduler, description, timeout=JOB_TIMEOUT):
    job = scheduler.submit(description)
    status = scheduler.wait_until_done(job, timeout=timeout)
    assert status.done, f"{job!r} did not finish within {timeout}s: {status!r}"
    return status


def run_captured(scheduler, description, scratch):
    """Runs the job with stdout/stderr to sandbox files brought back by stage-out.
    Returns (status, stdout bytes, stderr bytes)."""
    out, err = scratch / "captured.out", scratch / "captured.err"
    description.stdout_path = "cuttle-out.txt"
    description.stderr_path = "cuttle-err.txt"
    description.stage_out = list(description.stage_out) + [
        ("cuttle-out.txt", str(out)),
        ("cuttle-err.txt", str(err)),
    ]
    status = run(scheduler, description)
    return status, out.read_bytes(), err.read_bytes() if err.exists() else b""


def run_python(code, timeout=60, **popen):
    """Runs `code` in a fresh interpreter (the one running the tests) with the same path."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        timeout=timeout,
        env=os.environ.copy(),
        **popen,
    )


HOSTILE_STRINGS_FILE = pathlib.Path(__file__).resolve().parent.parent / "data" / "hostile_strings.txt"


def hostile_strings(canary):
    """Arguments and values that must reach a job unchanged, from the list the C++ suite
    shares (tests/data/hostile_strings.txt). `canary` must not exist afterwards (command
    substitution would create it). Values that are not UTF-8 are skipped: a str cannot
    hold them."""
    values = []
    for raw in HOSTILE_STRINGS_FILE.read_bytes().split(b"\n"):
        if raw.startswith(b"#") or not raw:
            continue
        value, i = bytearray(), 0
        while i < len(raw):
            c = raw[i : i + 1]
            if c != b"\\" or i + 1 == len(raw):
                value += c
                i += 1
                continue
            nxt = raw[i + 1 : i + 2]
            i += 2
            if nxt == b"n":
                value += b"\n"
            elif nxt == b"t":
                value += b"\t"
            elif nxt == b"\\":
                value += b"\\"
            elif nxt == b"x":
                value.append(int(raw[i : i + 2], 16))
                i += 2
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            continue
        values.append(text.replace("{canary}", str(canary)))
    return values


def require_env(*names):
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not set: start the server with tests/env/*.sh start")
