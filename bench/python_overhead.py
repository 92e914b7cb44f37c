#!/usr/bin/env python3
"""The Python half of the python-overhead benchmark (bench/python_overhead.cc runs it).

    python3 bench/python_overhead.py COUNT

Submits COUNT /bin/true jobs to local:// through the cuttle module, then waits for each,
exactly as the C++ half does, and prints `jobs_per_second=<float>` as its last line.
"""

import sys
import time

import cuttle


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with cuttle.Scheduler("local://") as scheduler:
        description = cuttle.JobDescription(executable="/bin/true")
        # Warm-up: first spawn, event loop start, page cache.
        scheduler.wait_until_done(scheduler.submit(description))
        begin = time.perf_counter()
        jobs = [scheduler.submit(description) for _ in range(count)]
        for job in jobs:
            status = scheduler.wait_until_done(job)
            if status.state is not cuttle.JobState.COMPLETED:
                print(f"job {job} ended {status!r}", file=sys.stderr)
                return 1
        elapsed = time.perf_counter() - begin
    print(f"jobs_per_second={count / elapsed:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
