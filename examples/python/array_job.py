#!/usr/bin/env python3
"""One job array: ten elements, at most three at a time, each with its own exit code.

    python3 examples/python/array_job.py [LOCATION]     # default: local://

On slurm:// the array is one `sbatch --array=0-9:1%3`; on local:// and ssh:// Cuttle runs
the elements itself under the throttle (docs/arrays.md).
"""

import sys

import cuttle

location = sys.argv[1] if len(sys.argv) > 1 else "local://"

with cuttle.Scheduler(location) as scheduler:
    description = cuttle.JobDescription(
        name="squares",
        executable="/bin/sh",
        # Each element sees its index in CUTTLE_ARRAY_INDEX; element 7 fails on purpose.
        arguments=["-c", 'i=$CUTTLE_ARRAY_INDEX; echo "$i squared is $((i * i))"; [ "$i" -ne 7 ]'],
        array="0-9%3",
    )
    job = scheduler.submit(description)
    print("submitted array", job)
    status = scheduler.wait_until_done(job)
    print(status.state.value, status.reason)
    for element in status.array_elements:
        print(f"  {cuttle.array_element_id(job.id, element.index)}: "
              f"{element.state.value} exit {element.exit_code}")
    seven = scheduler.status(cuttle.array_element_id(job.id, 7))
    print("element 7 on its own:", seven)
    ok = status.state == cuttle.JobState.FAILED and seven.exit_code == 1 and all(
        e.exit_code == (1 if e.index == 7 else 0) for e in status.array_elements)
    sys.exit(0 if ok else 1)
