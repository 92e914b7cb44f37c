"""The same behaviours against the real Slurm and sshd started by tests/env/*.sh.

    eval "$(tests/env/slurm.sh start)"; eval "$(tests/env/sshd.sh start)"

Each test skips (with the reason) when its server's variables are not exported.
"""

import os
import time

import pytest

import cuttle
from conftest import hostile_strings, require_env

REMOTE_TIMEOUT = 120
SSH_VARS = ("CUTTLE_TEST_SSH_USER", "CUTTLE_TEST_SSH_HOST", "CUTTLE_TEST_SSH_PORT",
            "CUTTLE_TEST_SSH_KEY", "CUTTLE_TEST_SSH_KNOWN_HOSTS")


def ssh_location(port=None):
    e = os.environ
    return f"ssh://{e['CUTTLE_TEST_SSH_USER']}@{e['CUTTLE_TEST_SSH_HOST']}:{port or e['CUTTLE_TEST_SSH_PORT']}"


def ssh_options(**extra):
    properties = {"ssh.known_hosts": os.environ["CUTTLE_TEST_SSH_KNOWN_HOSTS"], **extra}
    return {"properties": properties, "credential": cuttle.Credential.key(os.environ["CUTTLE_TEST_SSH_KEY"])}


def open_target(kind):
    if kind == "slurm":
        require_env("CUTTLE_TEST_SLURM")
        return cuttle.Scheduler("slurm://", properties={"poll.interval.min": "200ms"})
    if kind == "ssh":
        require_env(*SSH_VARS)
        return cuttle.Scheduler(ssh_location(), **ssh_options())
    if kind == "slurm+ssh":
        require_env("CUTTLE_TEST_SLURM", *SSH_VARS)
        location = ssh_location().replace("ssh://", "slurm+ssh://", 1)
        return cuttle.Scheduler(location, **ssh_options(**{"poll.interval.min": "200ms"}))
    raise AssertionError(kind)


@pytest.fixture(params=["slurm", "ssh", "slurm+ssh"])
def remote(request):
    with open_target(request.param) as s:
        yield s


def test_exit_codes_come_back(remote):
    ok = remote.submit(executable="true")
    failed = remote.submit(executable="/bin/sh", arguments=["-c", "exit 3"])
    assert remote.wait_until_done(ok, timeout=REMOTE_TIMEOUT).state is cuttle.JobState.COMPLETED
    status = remote.wait_until_done(failed, timeout=REMOTE_TIMEOUT)
    assert status.state is cuttle.JobState.FAILED, status
    assert status.exit_code == 3


def test_hostile_arguments_arrive_byte_for_byte(remote, tmp_path):
    # Output comes back through stage-out, so the test holds for remote sandboxes too.
    canary = f"/tmp/cuttle-py-canary-{os.getpid()}-{time.monotonic_ns()}"
    hostile = hostile_strings(canary)
    job = remote.submit(
        executable="printf",
        arguments=["%s\\000"] + hostile,
        stdout_path="out.txt",
        stage_out=[("out.txt", str(tmp_path / "out.txt"))],
    )
    status = remote.wait_until_done(job, timeout=REMOTE_TIMEOUT)
    assert status.state is cuttle.JobState.COMPLETED, status
    assert (tmp_path / "out.txt").read_bytes().split(b"\0")[:-1] == [h.encode() for h in hostile]
    assert not os.path.exists(canary), "an argument was evaluated by a shell"


def test_cancel_running_job(remote):
    # The job would outlive the wait: only a cancel that really ends it passes.
    job = remote.submit(executable="sleep", arguments=["300"])
    remote.wait_until_running(job, timeout=REMOTE_TIMEOUT)
    remote.cancel(job)
    status = remote.wait_until_done(job, timeout=60)
    assert status.state is cuttle.JobState.CANCELLED, status
    assert remote.cancel(job).state is cuttle.JobState.CANCELLED


def test_unknown_job_raises_no_such_job(remote):
    with pytest.raises(cuttle.NoSuchJob):
        remote.status("99999999")


def test_listener_sees_the_final_state(remote):
    finals = []
    with remote.subscribe(lambda status: finals.append(status.id) if status.done else None):
        job = remote.submit(executable="true")
        remote.wait_until_done(job, timeout=REMOTE_TIMEOUT)
        deadline = time.monotonic() + 30
        while job.id not in finals and time.monotonic() < deadline:
            time.sleep(0.05)
    assert job.id in finals


def test_slurm_rejection_is_command_failed_with_argv_exit_code_and_stderr():
    with open_target("slurm") as s:
        with pytest.raises(cuttle.CommandFailed) as info:
            s.submit(executable="true", queue="no-such-partition")
    error = info.value
    assert error.argv and error.argv[0] == "sbatch"
    assert error.exit_code != 0
    assert "partition" in error.stderr


def test_slurm_queues_lists_the_test_partition():
    with open_target("slurm") as s:
        names = [q.name for q in s.queues()]
    assert os.environ.get("CUTTLE_TEST_SLURM_PARTITION", "debug") in names


def test_ssh_bad_key_is_authentication_failed(tmp_path):
    require_env(*SSH_VARS)
    key = tmp_path / "not-a-key"
    key.write_text("garbage\n")
    options = ssh_options()
    options["credential"] = cuttle.Credential.key(str(key))
    with pytest.raises(cuttle.AuthenticationFailed) as info:
        with cuttle.Scheduler(ssh_location(), **options) as s:
            s.submit(executable="true")
    assert isinstance(info.value, PermissionError)


def test_ssh_refused_port_is_connection_failed():
    require_env(*SSH_VARS)
    with pytest.raises(cuttle.ConnectionFailed) as info:
        with cuttle.Scheduler(ssh_location(port=1), **ssh_options(**{"ssh.connect.timeout": "5s"})) as s:
            s.submit(executable="true")
    assert info.value.transient
