#!/usr/bin/env python3
"""Submit many jobs and follow them with a callback instead of waiting on each.

    python3 examples/python/many_jobs_callback.py [LOCATION] [COUNT]

The listener runs on Cuttle's tracker thread with the GIL taken; it may call back into
the module (here: it reads the scheduler's status of the job again).
"""

import collections
import sys
import threading

import cuttle

location = sys.argv[1] if len(sys.argv) > 1 else "local://"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 50

finished = collections.Counter()
lock = threading.Lock()


def on_change(change: cuttle.TrackedChange) -> None:
    if not change.status.done:
        return
    with lock:
        finished[change.state.value] += 1
        total = sum(finished.values())
    if total % 10 == 0 or total == count:
        print(f"{total}/{count} done: {dict(finished)}")


with cuttle.Scheduler(location) as scheduler, cuttle.Tracker() as tracker:
    tracker.add_listener(on_change)
    for i in range(count):
        job = scheduler.submit(
            executable="/bin/sh", arguments=["-c", f"sleep 0.{i % 5}; exit {int(i % 3 == 0)}"]
        )
        tracker.watch(scheduler, job)
    tracker.wait_idle()  # Ctrl-C interrupts this too

print("completed", finished["Completed"], "failed", finished["Failed"])
sys.exit(0 if sum(finished.values()) == count else 1)
