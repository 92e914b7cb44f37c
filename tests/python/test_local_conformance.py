"""The conformance behaviours, from Python, against local:// (attached and detached)."""

import datetime
import time

import pytest

import cuttle
from conftest import JOB_TIMEOUT, hostile_strings, run, run_captured


def test_submit_and_wait_reports_completed(any_local):
    job = any_local.submit(cuttle.JobDescription(executable="true"))
    assert isinstance(job, cuttle.Job)
    assert job.id and str(job) == job.id
    status = any_local.wait_until_done(job, timeout=JOB_TIMEOUT)
    assert status.state is cuttle.JobState.COMPLETED, status
    assert status.exit_code == 0
    assert status.done and not status.running
    assert status.id == job.id
    assert any_local.status(job.id).state is cuttle.JobState.COMPLETED
    assert job.status().state is cuttle.JobState.COMPLETED


@pytest.mark.parametrize("code", [1, 3, 4, 255])
def test_non_zero_exit_is_failed_with_exit_code(scheduler, code):
    status = run(scheduler, cuttle.JobDescription(executable="/bin/sh", arguments=["-c", f"exit {code}"]))
    assert status.state is cuttle.JobState.FAILED
    assert status.exit_code == code


def test_wait_without_timeout_waits_for_the_job(scheduler):
    job = scheduler.submit(executable="/bin/sh", arguments=["-c", "sleep 0.3; exit 4"])
    assert scheduler.wait_until_done(job).exit_code == 4


def test_wait_with_timeout_returns_the_latest_status(scheduler):
    job = scheduler.submit(executable="sleep", arguments=["30"])
    begin = time.monotonic()
    status = scheduler.wait_until_done(job, timeout=datetime.timedelta(milliseconds=300))
    assert not status.done
    assert time.monotonic() - begin < 10
    assert scheduler.wait_until_running(job, timeout=JOB_TIMEOUT).running
    scheduler.cancel(job)


def test_status_times_are_aware_utc_datetimes(scheduler):
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)
    status = run(scheduler, cuttle.JobDescription(executable="true"))
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    for name in ("submitted", "started", "finished"):
        value = getattr(status, name)
        if value is None:
            continue
        assert value.tzinfo is not None and value.utcoffset() == datetime.timedelta(0), name
        assert before <= value <= after, (name, value)
    assert status.finished is not None


def test_hostile_arguments_arrive_byte_for_byte(any_local, tmp_path):
    canary = tmp_path / "canary-args"
    hostile = hostile_strings(canary)
    description = cuttle.JobDescription(executable="printf", arguments=["%s\\000"] + hostile)
    status, out, err = run_captured(any_local, description, tmp_path)
    assert status.state is cuttle.JobState.COMPLETED, (status, err)
    assert out.split(b"\0")[:-1] == [h.encode() for h in hostile]
    assert not canary.exists(), "an argument was evaluated by a shell"


def test_non_utf8_bytes_arguments_arrive_unchanged(scheduler, tmp_path):
    raw = b"\xff\xfe non-UTF-8 \x80 $(x)"
    description = cuttle.JobDescription(executable="printf", arguments=["%s", raw])
    status, out, _ = run_captured(scheduler, description, tmp_path)
    assert status.state is cuttle.JobState.COMPLETED
    assert out == raw


def test_hostile_environment_values_arrive_byte_for_byte(any_local, tmp_path):
    canary = tmp_path / "canary-env"
    expected = {f"CUTTLE_HOSTILE_{i}": v for i, v in enumerate(hostile_strings(canary))}
    description = cuttle.JobDescription(executable="env", arguments=["-0"], environment=expected)
    status, out, err = run_captured(any_local, description, tmp_path)
    assert status.state is cuttle.JobState.COMPLETED, (status, err)
    seen = {}
    for entry in out.split(b"\0"):
        name, _, value = entry.decode().partition("=")
        if name.startswith("CUTTLE_HOSTILE_"):
            seen[name] = value
    assert seen == expected
    assert not canary.exists()


def test_cancel_running_job_is_cancelled(any_local):
    job = any_local.submit(executable="sleep", arguments=["60"])
    running = any_local.wait_until_running(job, timeout=JOB_TIMEOUT)
    assert running.running or running.done
    begin = time.monotonic()
    any_local.cancel(job)
    status = any_local.wait_until_done(job, timeout=JOB_TIMEOUT)
    assert status.state is cuttle.JobState.CANCELLED, status
    assert time.monotonic() - begin < 30


def test_cancel_of_finished_job_is_a_no_op(scheduler):
    job = scheduler.submit(executable="true")
    assert job.wait_until_done(timeout=JOB_TIMEOUT).state is cuttle.JobState.COMPLETED
    assert job.cancel().state is cuttle.JobState.COMPLETED
    assert scheduler.cancel(job.id).state is cuttle.JobState.COMPLETED


def test_cancel_twice_is_a_no_op(scheduler):
    job = scheduler.submit(executable="sleep", arguments=["60"])
    scheduler.wait_until_running(job, timeout=JOB_TIMEOUT)
    scheduler.cancel(job)
    scheduler.cancel(job)
    assert scheduler.wait_until_done(job, timeout=JOB_TIMEOUT).state is cuttle.JobState.CANCELLED
    assert scheduler.cancel(job).state is cuttle.JobState.CANCELLED


@pytest.mark.parametrize(
    "job_id", ["no-such-job", "../../etc/passwd", "c00000000000000000000", "a/b", "$(touch x)", "99999999"]
)
def test_unknown_job_raises_no_such_job(any_local, job_id):
    for call in (any_local.status, any_local.cancel, lambda j: any_local.wait_until_done(j, timeout=0.1)):
        with pytest.raises(cuttle.NoSuchJob) as info:
            call(job_id)
        assert info.value.job_id == job_id
        assert info.value.kind
        assert isinstance(info.value, LookupError)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"executable": ""}, "executable"),
        ({"executable": "true", "arguments": ["ok", "nul\0byte"]}, "arguments[1]"),
        ({"executable": "true", "environment": {"BAD NAME": "x"}}, "environment"),
        ({"executable": "true", "retry_limit": -1}, "retry_limit"),
        ({"executable": "true", "max_runtime": 0}, "max_runtime"),
        ({"executable": "true", "stage_in": [("", "x")]}, "stage_in[0].source"),
    ],
)
def test_invalid_description_names_the_field(scheduler, fields, field):
    with pytest.raises(cuttle.InvalidJobDescription) as info:
        scheduler.submit(cuttle.JobDescription(**fields))
    assert info.value.field.startswith(field), info.value.field
    assert field.split("[")[0] in str(info.value)


def test_statuses_of_many_jobs_in_order(scheduler):
    jobs = [scheduler.submit(executable="true") for _ in range(20)]
    statuses = scheduler.statuses(jobs)
    assert [s.id for s in statuses] == [j.id for j in jobs]
    for job in jobs:
        assert scheduler.wait_until_done(job, timeout=JOB_TIMEOUT).state is cuttle.JobState.COMPLETED
    assert all(s.state is cuttle.JobState.COMPLETED for s in scheduler.statuses([j.id for j in jobs]))


def test_staging_in_and_out_round_trips_a_file(any_local, tmp_path):
    source = tmp_path / "input with 'quotes' $(x).txt"
    content = b"first line\n$(not run) `x` 'q'\n\xff\x01 binary\0nul"
    source.write_bytes(content)
    result = tmp_path / "result.txt"
    description = cuttle.JobDescription(
        executable="/bin/sh",
        arguments=["-c", "cat in.txt > out.txt"],
        stage_in=[(str(source), "in.txt")],
        stage_out=[("out.txt", str(result))],
    )
    status = run(any_local, description)
    assert status.state is cuttle.JobState.COMPLETED, status
    assert result.read_bytes() == content


def test_stdin_is_redirected_from_a_staged_file(scheduler, tmp_path):
    source = tmp_path / "stdin.txt"
    source.write_bytes(b"to stdin\n")
    description = cuttle.JobDescription(executable="cat", stage_in=[(str(source), "in.txt")], stdin_path="in.txt")
    status, out, _ = run_captured(scheduler, description, tmp_path)
    assert status.state is cuttle.JobState.COMPLETED
    assert out == b"to stdin\n"


@pytest.mark.parametrize("destination", ["../escape.txt", "/etc/cuttle-escape.txt", "a/../../escape.txt"])
def test_staging_outside_the_sandbox_is_refused(scheduler, tmp_path, destination):
    source = tmp_path / "in.txt"
    source.write_text("x")
    with pytest.raises((cuttle.InvalidJobDescription, cuttle.StagingFailed)):
        job = scheduler.submit(executable="true", stage_in=[(str(source), destination)])
        status = scheduler.wait_until_done(job, timeout=JOB_TIMEOUT)
        # Some adaptors may report the refusal as an Error state instead of raising.
        if status.state is cuttle.JobState.ERROR:
            raise cuttle.StagingFailed(status.reason)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_missing_stage_in_source_is_refused(scheduler, tmp_path):
    with pytest.raises(cuttle.Error) as info:
        job = scheduler.submit(executable="true", stage_in=[(str(tmp_path / "absent"), "in.txt")])
        status = scheduler.wait_until_done(job, timeout=JOB_TIMEOUT)
        if status.state is cuttle.JobState.ERROR:
            raise cuttle.StagingFailed(status.reason)
    assert isinstance(info.value, (cuttle.StagingFailed, cuttle.InvalidJobDescription))


def test_max_runtime_expires_the_job(any_local):
    job = any_local.submit(executable="sleep", arguments=["60"], max_runtime=datetime.timedelta(seconds=1))
    status = any_local.wait_until_done(job, timeout=JOB_TIMEOUT)
    assert status.state is cuttle.JobState.EXPIRED, status


def test_retry_limit_resubmits_failed_attempts(scheduler, tmp_path):
    counter = tmp_path / "attempts"
    script = 'n=$(cat "$1" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$1"; [ $n -ge 3 ]'
    job = scheduler.submit(
        executable="/bin/sh", arguments=["-c", script, "sh", str(counter)], retry_limit=3
    )
    status = scheduler.wait_until_done(job, timeout=JOB_TIMEOUT)
    assert status.state is cuttle.JobState.COMPLETED, status
    assert status.attempt == 3
    assert [a.state for a in status.attempts] == [cuttle.JobState.FAILED, cuttle.JobState.FAILED]
    assert status.attempts[0].exit_code == 1
    assert status.id == job.id


def test_retry_limit_reached_ends_failed(scheduler):
    job = scheduler.submit(executable="/bin/sh", arguments=["-c", "exit 5"], retry_limit=1)
    status = scheduler.wait_until_done(job, timeout=JOB_TIMEOUT)
    assert status.state is cuttle.JobState.FAILED
    assert status.exit_code == 5
    assert status.attempt == 2
    assert len(status.attempts) == 1


def test_detached_job_is_seen_by_a_second_scheduler(tmp_path):
    properties = {"mode": "detached", "sandbox.root": str(tmp_path)}
    with cuttle.Scheduler("local://", properties=properties) as first:
        job = first.submit(executable="/bin/sh", arguments=["-c", "exit 7"])
        first.wait_until_done(job, timeout=JOB_TIMEOUT)
    with cuttle.Scheduler("local://", properties=properties) as second:
        status = second.wait_until_done(job.id, timeout=JOB_TIMEOUT)
        assert status.exit_code == 7
        assert status.state is cuttle.JobState.FAILED


def test_submit_takes_fields_or_a_description_not_both(scheduler):
    with pytest.raises(TypeError):
        scheduler.submit(cuttle.JobDescription(executable="true"), executable="true")
    with pytest.raises(TypeError):
        scheduler.status(42)


def test_closed_scheduler_raises_and_closes_idempotently():
    s = cuttle.Scheduler("local://")
    assert "local://" in repr(s)
    s.close()
    s.close()
    assert s.closed
    assert "closed" in repr(s)
    with pytest.raises(cuttle.Error):
        s.submit(executable="true")


def test_context_manager_closes_the_scheduler():
    with cuttle.Scheduler("local://") as s:
        job = s.submit(executable="true")
        assert s.wait_until_done(job, timeout=JOB_TIMEOUT).done
    assert s.closed
    assert repr(job).startswith("<cuttle.Job ")


def test_extend_moves_the_deadline_so_the_job_completes(scheduler):
    job = scheduler.submit(executable="sleep", arguments=["5"], max_runtime=3)
    running = scheduler.wait_until_running(job, timeout=JOB_TIMEOUT)
    assert running.deadline is not None and running.deadline.tzinfo is not None
    extended = scheduler.extend(job, datetime.timedelta(seconds=60))
    assert extended.deadline - running.deadline == datetime.timedelta(seconds=60)
    assert scheduler.wait_until_done(job, timeout=JOB_TIMEOUT).state is cuttle.JobState.COMPLETED


def test_track_reattaches_to_a_detached_job(tmp_path):
    properties = {"mode": "detached", "sandbox.root": str(tmp_path)}
    with cuttle.Scheduler("local://", properties=properties) as first:
        job = first.submit(executable="sleep", arguments=["1"])
    with cuttle.Scheduler("local://", properties=properties) as second:
        again = second.track(job.id)
        assert again.scheduler is second and again.id == job.id
        assert again.wait_until_done(timeout=JOB_TIMEOUT).state is cuttle.JobState.COMPLETED
        assert job.id in second.jobs()
