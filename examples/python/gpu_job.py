#!/usr/bin/env python3
"""Ask for GPUs, an account and a node feature, and see what the scheduler gave.

    python3 examples/python/gpu_job.py LOCATION [GPUS] [TYPE]
    python3 examples/python/gpu_job.py slurm:// 2 a100

On an adaptor that cannot allocate GPUs (local://, ssh://) the submit raises
cuttle.Unsupported naming the field: the job never runs without what it asked for.
See docs/resources.md for what each adaptor does with these fields.
"""

import datetime
import sys

import cuttle

location = sys.argv[1] if len(sys.argv) > 1 else "slurm://"
gpus = int(sys.argv[2]) if len(sys.argv) > 2 else 1
gpu_type = sys.argv[3] if len(sys.argv) > 3 else ""

with cuttle.Scheduler(location) as scheduler:
    caps = scheduler.capabilities
    print("this adaptor honours:", caps)
    description = cuttle.JobDescription(
        name="gpu-example",
        executable="/bin/sh",
        arguments=["-c", 'echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-unset}"'],
        gpus=gpus,
        gpu_type=gpu_type,  # "" means any type
        max_runtime=datetime.timedelta(minutes=5),
        stdout_path="out.txt",
        stage_out=[("out.txt", "gpu_job.out.txt")],
    )
    try:
        job = scheduler.submit(description)
    except cuttle.Unsupported as e:
        print("refused:", e)
        sys.exit(2)
    status = scheduler.wait_until_done(job)
    print(status)
    with open("gpu_job.out.txt") as out:
        print(out.read(), end="")
    sys.exit(0 if status.state == cuttle.JobState.COMPLETED else 1)
