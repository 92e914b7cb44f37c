"""The examples in examples/python run and succeed against local://."""

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"


@pytest.mark.parametrize("name", ["submit_and_wait.py", "many_jobs_callback.py", "staging.py"])
def test_example_runs(name):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "local://"],
        capture_output=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, (result.stdout.decode(), result.stderr.decode())


def test_gpu_example_is_refused_on_local_naming_the_field():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "gpu_job.py"), "local://"],
        capture_output=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert result.returncode == 2, (result.stdout.decode(), result.stderr.decode())
    assert b"refused: gpus: the local adaptor cannot honour it" in result.stdout
