"""Jobs with steps from Python (docs/steps.md): cuttle.JobStep, JobDescription(steps=...),
JobStatus.step_exit_codes, the JSON round trip, and the field a bad step is refused by."""

import pytest

import cuttle
from conftest import run, run_captured


def test_steps_run_in_order_and_report_each_exit_code(any_local, tmp_path):
    d = cuttle.JobDescription(
        steps=[
            cuttle.JobStep(executable="/bin/sh", arguments=["-c", "echo one > shared.txt"]),
            cuttle.JobStep(
                executable="/bin/sh",
                arguments=["-c", 'cat shared.txt; echo "$1"; exit 5', "sh", "it's $(x) `y`"],
                ignore_error=True,
            ),
            cuttle.JobStep(executable="/bin/sh", arguments=["-c", "echo $STEP"],
                           environment={"STEP": "three"}),
        ]
    )
    status, out, _ = run_captured(any_local, d, tmp_path)
    assert status.state == cuttle.JobState.COMPLETED, status
    assert status.step_exit_codes == [0, 5, 0]
    assert out == b"one\nit's $(x) `y`\nthree\n"
    assert status.to_dict()["step_exit_codes"] == [0, 5, 0]


def test_the_first_failing_step_stops_the_job(any_local):
    d = cuttle.JobDescription(
        steps=[cuttle.JobStep(executable="/bin/sh", arguments=["-c", "exit 3"]),
               cuttle.JobStep(executable="/bin/true")]
    )
    status = run(any_local, d)
    assert status.state == cuttle.JobState.FAILED
    assert status.exit_code == 3
    assert status.step_exit_codes == [3]


def test_steps_round_trip_through_json_and_repr():
    d = cuttle.JobDescription(
        steps=[cuttle.JobStep(executable="sh", arguments=["-c", "ls"],
                              container_image="localhost/busybox:latest", stdout_path="ls.txt")]
    )
    again = cuttle.JobDescription.from_json(d.to_json())
    assert again == d
    assert again.steps[0].container_image == "localhost/busybox:latest"
    assert "JobStep(executable='sh'" in repr(again.steps[0])
    assert cuttle.Scheduler("local://").capabilities.steps


def test_a_bad_step_is_refused_naming_its_field():
    d = cuttle.JobDescription(steps=[cuttle.JobStep(executable="true"), cuttle.JobStep()])
    with pytest.raises(cuttle.InvalidJobDescription, match=r"steps\[1\]\.executable"):
        d.validate()
    with pytest.raises(TypeError, match="image"):
        cuttle.JobStep(executable="true", image="x")
