#!/usr/bin/env python3
"""Submit one job and wait for it.

    python3 examples/python/submit_and_wait.py [LOCATION]     # default: local://

Try slurm:// or 'slurm+ssh://alice@login.hpc' for LOCATION. Ctrl-C interrupts the wait.
"""

import datetime
import sys

import cuttle

location = sys.argv[1] if len(sys.argv) > 1 else "local://"

with cuttle.Scheduler(location) as scheduler:
    description = cuttle.JobDescription(
        name="hello",
        executable="/bin/sh",
        # Arguments reach the job byte for byte: nothing here is evaluated by a shell
        # except the script we hand to sh on purpose.
        arguments=["-c", 'echo "hello from $(hostname): $1"; exit 4', "sh", "it's $(not) expanded"],
        max_runtime=datetime.timedelta(minutes=5),
    )
    job = scheduler.submit(description)
    print("submitted", job)
    try:
        status = scheduler.wait_until_done(job)  # no timeout: wait as long as it takes
    except KeyboardInterrupt:
        print("interrupted; cancelling", job)
        scheduler.cancel(job)
        raise
    print(status)
    print("state", status.state.value, "exit code", status.exit_code)
    if status.started and status.finished:
        print("ran for", status.finished - status.started)
    sys.exit(0 if status.exit_code == 4 else 1)
