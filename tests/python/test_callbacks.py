"""Listeners: Python callables called on Cuttle's threads with the GIL taken."""

import threading

import cuttle
from conftest import JOB_TIMEOUT, run_python


def wait_for(predicate, timeout=JOB_TIMEOUT):
    event = threading.Event()
    deadline = timeout
    while deadline > 0:
        if predicate():
            return True
        event.wait(0.02)
        deadline -= 0.02
    return predicate()


def test_subscribe_delivers_every_change_up_to_the_final_state(scheduler):
    seen = []
    lock = threading.Lock()

    def listener(status):
        assert isinstance(status, cuttle.JobStatus)
        with lock:
            seen.append((status.id, status.state, threading.get_ident()))

    with scheduler.subscribe(listener) as subscription:
        assert subscription.active
        job = scheduler.submit(executable="/bin/sh", arguments=["-c", "exit 2"])
        assert scheduler.wait_until_done(job, timeout=JOB_TIMEOUT).exit_code == 2
        assert wait_for(lambda: any(s is cuttle.JobState.FAILED for i, s, _ in seen if i == job.id))
    assert not subscription.active
    states = [s for i, s, _ in seen if i == job.id]
    assert states[-1] is cuttle.JobState.FAILED
    assert states.count(cuttle.JobState.FAILED) == 1
    order = list(cuttle.JobState)
    assert [order.index(s) for s in states] == sorted(order.index(s) for s in states)


def test_listener_may_call_back_into_the_module_without_deadlock(scheduler):
    results = []
    done = threading.Event()

    def listener(status):
        # Re-entering the scheduler (and the GIL) from the adaptor's thread.
        again = scheduler.status(status.id)
        results.append((status.state, again.state))
        if status.done:
            scheduler.submit(executable="true")  # and even submitting from here
            done.set()

    with scheduler.subscribe(listener):
        job = scheduler.submit(executable="true")
        assert scheduler.wait_until_done(job, timeout=JOB_TIMEOUT).done
        assert done.wait(JOB_TIMEOUT), "the listener never saw the final state (deadlock?)"
    assert results


def test_exception_in_a_listener_is_reported_and_does_not_stop_delivery(scheduler):
    import sys

    reported = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = lambda info: reported.append(info.exc_value)
    finals = []
    try:

        def listener(status):
            if status.done:
                finals.append(status.id)
            raise RuntimeError("listener bug")

        with scheduler.subscribe(listener):
            jobs = [scheduler.submit(executable="true") for _ in range(3)]
            for job in jobs:
                scheduler.wait_until_done(job, timeout=JOB_TIMEOUT)
            assert wait_for(lambda: len(finals) == 3)
    finally:
        sys.unraisablehook = old_hook
    assert any(isinstance(e, RuntimeError) for e in reported)


def test_closed_subscription_receives_nothing_more(scheduler):
    seen = []
    subscription = scheduler.subscribe(lambda status: seen.append(status.id))
    subscription.close()
    subscription.close()
    job = scheduler.submit(executable="true")
    scheduler.wait_until_done(job, timeout=JOB_TIMEOUT)
    assert job.id not in seen
    assert "closed" in repr(subscription)


def test_many_jobs_with_a_tracker_callback(scheduler):
    finals = {}
    lock = threading.Lock()

    def on_change(change):
        assert isinstance(change, cuttle.TrackedChange)
        assert change.scheduler is scheduler
        if change.status.done:
            with lock:
                finals[change.job_id] = change.state

    with cuttle.Tracker() as tracker:
        tracker.add_listener(on_change)
        jobs = []
        for i in range(30):
            job = scheduler.submit(executable="/bin/sh", arguments=["-c", f"exit {i % 2}"])
            tracker.watch(scheduler, job)
            jobs.append(job)
        assert tracker.wait_idle(timeout=JOB_TIMEOUT)
        assert tracker.active == 0
        assert wait_for(lambda: len(finals) == 30)
    assert tracker.closed
    for i, job in enumerate(jobs):
        expected = cuttle.JobState.COMPLETED if i % 2 == 0 else cuttle.JobState.FAILED
        assert finals[job.id] is expected


def test_tracker_listener_can_be_removed(scheduler):
    seen = []
    with cuttle.Tracker() as tracker:
        listener_id = tracker.add_listener(lambda change: seen.append(change.job_id))
        tracker.remove_listener(listener_id)
        job = scheduler.submit(executable="true")
        tracker.watch(scheduler, job)
        assert tracker.wait_idle(timeout=JOB_TIMEOUT)
    assert job.id not in seen


def test_listeners_are_released_safely_at_interpreter_shutdown():
    # Jobs still finishing, listeners that re-enter the module, and no close(): the
    # interpreter must exit cleanly and promptly.
    result = run_python(
        """
        import cuttle, time
        s = cuttle.Scheduler("local://")
        t = cuttle.Tracker()
        def listener(status):
            s.status(status.id)
            time.sleep(0.01)
        sub = s.subscribe(listener)
        t.add_listener(lambda change: change.scheduler.status(change.job_id))
        for i in range(20):
            job = s.submit(executable="/bin/sh", arguments=["-c", f"sleep 0.0{i % 10}"])
            t.watch(s, job)
        print("exiting", flush=True)
        """,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"exiting" in result.stdout
    assert b"Fatal" not in result.stderr and b"terminate" not in result.stderr, result.stderr
