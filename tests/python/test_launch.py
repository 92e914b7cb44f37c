"""The launch fields as Python keywords (docs/launchers.md): a JSON round trip, a bad
launcher and a module string named by their field, and a local job whose pre_launch
script and clean environment shape what the command sees."""
import os

import pytest

import cuttle


def test_launch_fields_round_trip_through_json():
    d = cuttle.JobDescription(executable="./solver", tasks=4, launcher="mpirun",
                              modules=["gcc/12", "openmpi"], pre_launch="/opt/pre.sh",
                              post_launch="post.sh", inherit_environment=False)
    again = cuttle.JobDescription.from_json(d.to_json())
    assert (again.launcher, again.modules, again.inherit_environment) == (
        "mpirun", ["gcc/12", "openmpi"], False)
    assert (again.pre_launch, again.post_launch) == ("/opt/pre.sh", "post.sh")


def test_bad_values_are_refused_naming_the_field():
    with pytest.raises(cuttle.InvalidJobDescription, match="launcher"):
        cuttle.JobDescription(executable="/bin/true", launcher="aprun").validate()
    with pytest.raises(cuttle.InvalidJobDescription, match=r"modules\[0\]"):
        cuttle.JobDescription(executable="/bin/true", modules=[""]).validate()
    with pytest.raises(TypeError):
        cuttle.JobDescription(executable="/bin/true", modules="openmpi")


def test_a_local_job_sees_its_pre_launch_and_not_this_process(tmp_path, monkeypatch):
    monkeypatch.setenv("LAUNCH_PY_SECRET", "leaked")
    pre = tmp_path / "pre 'x'.sh"
    pre.write_text("FROM_PRE=yes; export FROM_PRE\n")
    out = tmp_path / "env.txt"
    with cuttle.Scheduler("local://", properties={"sandbox.root": str(tmp_path)}) as s:
        job = s.submit(cuttle.JobDescription(
            executable="/usr/bin/env", pre_launch=str(pre), inherit_environment=False,
            environment={"MINE": "1"}, stdout_path=str(out)))
        assert job.wait_until_done(timeout=30).state == cuttle.JobState.COMPLETED
    env = out.read_text()
    assert "FROM_PRE=yes\n" in env and "MINE=1\n" in env
    assert "LAUNCH_PY_SECRET" not in env
    assert os.environ["LAUNCH_PY_SECRET"] == "leaked"
