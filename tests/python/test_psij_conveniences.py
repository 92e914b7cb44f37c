"""What a newcomer from PSI/J expects of the module: Job.wait(target_states=...), a
callback on one job, job descriptions to and from JSON/dict, duration texts, and help()
that names only adaptors that exist."""

import datetime
import threading

import pytest

import cuttle
from conftest import JOB_TIMEOUT


def test_max_runtime_takes_the_command_lines_duration_text():
    d = cuttle.JobDescription(executable="/bin/true", max_runtime="10m")
    assert d.max_runtime == datetime.timedelta(minutes=10)
    d.max_runtime = "90"
    assert d.max_runtime == datetime.timedelta(seconds=90)
    with pytest.raises(cuttle.InvalidArgument, match="parsecs"):
        d.max_runtime = "10 parsecs"


def test_wait_for_target_states_returns_once_running(scheduler):
    job = scheduler.submit(executable="/bin/sleep", arguments=["30"])
    try:
        status = job.wait(timeout=JOB_TIMEOUT, target_states=[cuttle.JobState.RUNNING])
        assert status.state == cuttle.JobState.RUNNING
        assert not status.done
    finally:
        job.cancel()


def test_wait_ends_on_a_final_state_even_if_not_a_target(scheduler):
    job = scheduler.submit(executable="/bin/sh", arguments=["-c", "exit 3"])
    status = job.wait(timeout=JOB_TIMEOUT, target_states="Cancelled")
    assert status.done
    assert status.exit_code == 3


def test_wait_timeout_returns_the_latest_status(scheduler):
    job = scheduler.submit(executable="/bin/sleep", arguments=["30"])
    try:
        status = job.wait(timeout=datetime.timedelta(milliseconds=300),
                          target_states=[cuttle.JobState.COMPLETED])
        assert status.state == cuttle.JobState.RUNNING
    finally:
        job.cancel()


def test_on_change_calls_back_for_this_job_only(scheduler):
    seen = []
    finished = threading.Event()

    def record(status):
        seen.append((status.id, status.state))
        if status.done:
            finished.set()

    other = scheduler.submit(executable="/bin/true")
    job = scheduler.submit(executable="/bin/sleep", arguments=["0.2"])
    with job.on_change(record):
        job.wait(timeout=JOB_TIMEOUT)
        other.wait(timeout=JOB_TIMEOUT)
        assert finished.wait(JOB_TIMEOUT)
    assert {job_id for job_id, _ in seen} == {job.id}
    assert seen[-1][1] == cuttle.JobState.COMPLETED


def test_job_description_round_trips_through_json_and_dict():
    hostile = "it's $(rm -rf /) `x`\nnext"
    d = cuttle.JobDescription(executable="/bin/echo", arguments=[hostile], environment={"A": hostile},
                              max_runtime="1h", memory_bytes="4G", stage_in=[("in.txt", "data/in.txt")],
                              labels={"k": "v"}, retry_limit=2)
    as_dict = d.to_dict()
    assert as_dict["arguments"] == [hostile]
    assert as_dict["max_runtime"] == 3600
    assert as_dict["memory"] == 4 * 1024**3
    assert "queue" not in as_dict  # defaults are left out
    again = cuttle.JobDescription.from_json(d.to_json(indent=2))
    assert again.to_dict() == as_dict
    assert cuttle.JobDescription.from_dict(as_dict).arguments == [hostile]


@pytest.mark.parametrize("bad, field", [
    ('{"executable": "/bin/true", "nmae": "x"}', "nmae"),
    ('{"executable": "/bin/true", "nodes": "two"}', "nodes"),
    ('{"executable": ', "not valid JSON"),
    ('[1, 2]', "JSON object"),
    ('{"stage_in": [{"destination": "x"}]}', "stage_in[0].source"),
])
def test_job_description_from_bad_json_names_the_field(bad, field):
    with pytest.raises(cuttle.InvalidJobDescription, match=field.replace("[", r"\[").replace("]", r"\]")):
        cuttle.JobDescription.from_json(bad)


def test_status_to_dict_has_rfc3339_times(scheduler):
    job = scheduler.submit(executable="/bin/true")
    status = job.wait(timeout=JOB_TIMEOUT)
    d = status.to_dict()
    assert d["state"] == "Completed"
    assert d["exit_code"] == 0
    assert d["finished"].endswith("Z") and "." in d["finished"]


def test_help_names_only_adaptors_that_exist():
    names = {a.name for a in cuttle.adaptors()}
    text = (cuttle.__doc__ or "") + (cuttle._cuttle.__doc__ or "")
    if "kubernetes" not in names:
        assert "Kubernetes" not in text
