#!/usr/bin/env python3
"""Stage a file in, run a job on it in its sandbox, and stage the result back.

    python3 examples/python/staging.py [LOCATION]

stage_in sources are paths on this machine and destinations are relative to the job's
sandbox; stage_out is the reverse. '..' and absolute sandbox paths are refused.
"""

import pathlib
import sys
import tempfile

import cuttle

location = sys.argv[1] if len(sys.argv) > 1 else "local://"

with tempfile.TemporaryDirectory() as directory:
    here = pathlib.Path(directory)
    (here / "words.txt").write_text("octopus\ncuttlefish\nsquid\nnautilus\n")

    with cuttle.Scheduler(location) as scheduler:
        job = scheduler.submit(
            executable="/bin/sh",
            arguments=["-c", "sort input.txt > sorted.txt; wc -l < input.txt"],
            stage_in=[(str(here / "words.txt"), "input.txt")],
            stage_out=[("sorted.txt", str(here / "sorted.txt")), ("stdout.txt", str(here / "count.txt"))],
            stdout_path="stdout.txt",
        )
        status = scheduler.wait_until_done(job)

    print(status)
    if status.state is not cuttle.JobState.COMPLETED:
        sys.exit(1)
    print("sorted:", (here / "sorted.txt").read_text().split())
    print("lines:", (here / "count.txt").read_text().strip())
