"""The examples in examples/python run and succeed against local://."""

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"


def run_example(name, location="local://"):
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), location],
        capture_output=True,
        timeout=120,
        env=os.environ.copy(),
    )


@pytest.mark.parametrize("name", ["submit_and_wait.py", "many_jobs_callback.py", "staging.py", "array_job.py"])
def test_example_runs(name):
    result = run_example(name)
    assert result.returncode == 0, (result.stdout.decode(), result.stderr.decode())


def test_gpu_example_is_refused_on_local_naming_the_field():
    result = run_example("gpu_job.py")
    assert result.returncode == 2, (result.stdout.decode(), result.stderr.decode())
    assert b"refused: gpus: the local adaptor cannot honour it" in result.stdout
