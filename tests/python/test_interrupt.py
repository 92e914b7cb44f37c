"""Ctrl-C interrupts blocking waits (they wait in short slices, checking for signals)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

# The child starts with Python's own SIGINT handler whatever it inherited: a shell that
# runs a command in the background without job control (nohup cmd &, many CI runners)
# leaves SIGINT ignored, and Python then installs no handler, so Ctrl-C could not reach
# the wait at all (the job's 60 s would run out instead).
BLOCKED_IN_WAIT = """
import signal, sys, cuttle
signal.signal(signal.SIGINT, signal.default_int_handler)
s = cuttle.Scheduler("local://")
job = s.submit(executable="sleep", arguments=["60"])
{prepare}
print("waiting", flush=True)
try:
    {wait}
except KeyboardInterrupt:
    print("interrupted", flush=True)
    s.cancel(job)
    sys.exit(42)
print("returned", flush=True)
"""


def interrupt(prepare, wait):
    code = textwrap.dedent(BLOCKED_IN_WAIT).format(prepare=prepare, wait=wait)
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
    )
    try:
        assert process.stdout.readline() == b"waiting\n", process.stderr.read()
        time.sleep(0.3)  # let it block inside the wait
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        # Time to the handler's first line: the KeyboardInterrupt itself, not the exit.
        line = process.stdout.readline()
        elapsed = time.monotonic() - sent
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert line == b"interrupted\n", (line, out, err)
    assert process.returncode == 42, (out, err)
    assert elapsed < 1.0, f"KeyboardInterrupt took {elapsed:.2f}s"


def test_ctrl_c_interrupts_wait_until_done():
    interrupt("", "s.wait_until_done(job)")


def test_ctrl_c_interrupts_wait_until_done_with_a_timeout():
    interrupt("", "s.wait_until_done(job, timeout=3600)")


def test_ctrl_c_interrupts_job_wait():
    interrupt("s.wait_until_running(job, timeout=30)", "job.wait_until_done()")


def test_ctrl_c_interrupts_tracker_wait_idle():
    interrupt("t = cuttle.Tracker(); t.watch(s, job)", "t.wait_idle()")
