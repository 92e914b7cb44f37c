"""The container fields of JobDescription: image=, container_runtime=, mounts=,
network=, container_user=, validated by the core; a missing runtime refused (the job never
runs without its image); the reference's example run in real podman on local://."""

import pytest

import cuttle


def test_container_keywords_round_trip():
    d = cuttle.JobDescription(
        executable="/bin/sh",
        image="localhost/busybox:latest",
        container_runtime="podman",
        mounts=["/data:/in", ("/etc", "/host-etc")],
        network=True,
        container_user="1000:1000",
    )
    assert d.container_image == "localhost/busybox:latest"
    assert d.image == d.container_image
    assert d.container_runtime == "podman"
    assert d.mounts == [("/data", "/in"), ("/etc", "/host-etc")]
    assert d.network is True
    assert d.container_user == "1000:1000"
    d.validate()
    assert "container_runtime='podman'" in repr(d)
    assert d.copy() == d


def test_container_defaults():
    d = cuttle.JobDescription(executable="/bin/true")
    assert (d.image, d.container_runtime, d.mounts, d.network, d.container_user) == (
        "",
        "auto",
        [],
        None,
        "",
    )


def test_unknown_runtime_is_refused_naming_it():
    with pytest.raises(cuttle.InvalidArgument, match="container runtime 'rkt' is not one of auto, podman"):
        cuttle.JobDescription(executable="/bin/true", container_runtime="rkt")


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"image": "busybox; rm -rf /"}, "container_image"),
        ({"image": "$(id)"}, "container_image"),
        ({"image": "-v/:/host"}, "container_image"),
        ({"image": "busybox", "mounts": [("relative", "/in")]}, "container.mounts[0].host_path"),
        ({"image": "busybox", "mounts": ["/data:/work"]}, "container.mounts[0].container_path"),
        ({"image": "busybox", "container_user": "a b"}, "container.user"),
        ({"network": False}, "container"),
    ],
)
def test_hostile_container_fields_are_refused_naming_the_field(fields, named):
    d = cuttle.JobDescription(executable="/bin/true", **fields)
    with pytest.raises(cuttle.InvalidJobDescription) as info:
        d.validate()
    assert info.value.field == named


def test_a_missing_runtime_is_unsupported_and_the_job_does_not_run(tmp_path):
    victim = tmp_path / "ran-without-container"
    with cuttle.Scheduler("local://") as s:
        assert s.capabilities.containers is True
        with pytest.raises(cuttle.Unsupported, match="container.runtime"):
            s.submit(cuttle.JobDescription(executable="touch", arguments=[str(victim)],
                                           image="docker://x", container_runtime="apptainer"))
    assert not victim.exists()


def test_the_container_example_runs_on_local_in_podman():
    import os
    import pathlib
    import shutil
    import subprocess
    import sys

    if shutil.which("podman") is None or "CONTAINERS_CONF" not in os.environ:
        if os.environ.get("CI") in ("true", "1"):
            pytest.fail("podman and CONTAINERS_CONF (tests/env/podman.sh) are needed")
        pytest.skip("podman is not set up: eval \"$(tests/env/podman.sh start)\"")
    example = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"
    result = subprocess.run(
        [sys.executable, str(example / "container_workls.py"), "local://"],
        capture_output=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, (result.stdout.decode(), result.stderr.decode())
    assert b"['a.txt', 'b.txt']" in result.stdout
