"""Many Python threads using the module at once: the GIL is released in blocking calls."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import cuttle
from conftest import JOB_TIMEOUT


def test_many_threads_submit_and_wait_concurrently(scheduler):
    def work(i):
        job = scheduler.submit(executable="/bin/sh", arguments=["-c", f"exit {i % 5}"])
        return i, scheduler.wait_until_done(job, timeout=JOB_TIMEOUT)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(work, range(160)))
    assert len(results) == 160
    for i, status in results:
        assert status.exit_code == i % 5, status
    assert len({status.id for _, status in results}) == 160


def test_each_thread_may_open_its_own_scheduler():
    errors = []

    def work():
        try:
            with cuttle.Scheduler("local://") as s:
                for _ in range(5):
                    status = s.wait_until_done(s.submit(executable="true"), timeout=JOB_TIMEOUT)
                    assert status.state is cuttle.JobState.COMPLETED
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_blocked_wait_does_not_hold_the_gil(scheduler):
    slow = scheduler.submit(executable="sleep", arguments=["60"])
    waiter = threading.Thread(target=lambda: scheduler.wait_until_done(slow, timeout=JOB_TIMEOUT))
    waiter.start()
    # While the other thread is blocked in its wait, this one keeps running Python and jobs.
    for _ in range(5):
        assert scheduler.wait_until_done(scheduler.submit(executable="true"), timeout=JOB_TIMEOUT).done
    assert sum(1 for _ in range(100000)) == 100000
    assert waiter.is_alive()
    scheduler.cancel(slow)
    waiter.join()
    assert scheduler.status(slow).state is cuttle.JobState.CANCELLED


def test_closing_while_other_threads_use_the_scheduler_is_safe():
    s = cuttle.Scheduler("local://")
    outcomes = []

    def work():
        for _ in range(20):
            try:
                s.wait_until_done(s.submit(executable="true"), timeout=JOB_TIMEOUT)
                outcomes.append("ok")
            except cuttle.Error:
                outcomes.append("closed")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    s.close()
    for t in threads:
        t.join()
    assert len(outcomes) == 80
