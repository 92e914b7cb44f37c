#!/usr/bin/env python3
"""The reference's container example: an input directory staged into /work/input, a
busybox image listing it into /work/output/workls.txt, the listing staged back.

    python3 examples/python/container_workls.py [LOCATION] [IMAGE]

In a container the job's sandbox is mounted read-write at /work, which is the working
directory: stage_in destinations and stage_out sources are relative to it. An adaptor
that cannot run containers, or a host with no runtime, refuses the image with
cuttle.Unsupported naming container_image or container.runtime; it never runs the
command without one.
"""

import pathlib
import sys
import tempfile

import cuttle

location = sys.argv[1] if len(sys.argv) > 1 else "local://"
image = sys.argv[2] if len(sys.argv) > 2 else "localhost/busybox:latest"

with tempfile.TemporaryDirectory() as directory:
    here = pathlib.Path(directory)
    for name in ("a.txt", "b.txt"):
        (here / name).write_text(name)

    with cuttle.Scheduler(location) as scheduler:
        try:
            job = scheduler.submit(
                executable="/bin/sh",
                arguments=["-c", "cd /work/input; ls > /work/output/workls.txt"],
                image=image,
                network=False,
                stage_in=[(str(here / n), "input/" + n) for n in ("a.txt", "b.txt")],
                stage_out=[("output/workls.txt", str(here / "workls.txt"))],
            )
        except cuttle.Unsupported as error:
            print(f"{location} cannot run this job in a container: {error}", file=sys.stderr)
            sys.exit(2)
        status = scheduler.wait_until_done(job)

    print(status)
    if status.state is not cuttle.JobState.COMPLETED:
        sys.exit(1)
    print("workls.txt:", (here / "workls.txt").read_text().split())
