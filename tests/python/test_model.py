"""The value types: locations, descriptions, states, credentials, adaptors."""

import datetime

import pytest

import cuttle


def test_version_is_exposed():
    assert cuttle.__version__.count(".") == 2


def test_location_parse_exposes_parts_and_round_trips():
    loc = cuttle.Location.parse("slurm+ssh://alice@login.hpc:2222/scratch?queue=debug")
    assert (loc.scheme, loc.transport, loc.user, loc.host, loc.port, loc.path) == (
        "slurm",
        "ssh",
        "alice",
        "login.hpc",
        2222,
        "/scratch",
    )
    assert loc.full_scheme == "slurm+ssh"
    assert loc.query == {"queue": "debug"}
    assert cuttle.Location.parse(str(loc)) == loc
    assert "slurm+ssh://alice@login.hpc:2222" in repr(loc)


@pytest.mark.parametrize("bad", ["", "no-scheme", "ssh://host:99999", "ssh://[::1"])
def test_location_parse_rejects_malformed_uris(bad):
    with pytest.raises(cuttle.InvalidArgument) as info:
        cuttle.Location.parse(bad)
    assert isinstance(info.value, ValueError)
    assert info.value.kind


def test_job_description_takes_keyword_fields():
    d = cuttle.JobDescription(
        executable="/bin/sh",
        arguments=["-c", "exit 4"],
        environment={"A": "b"},
        max_runtime=datetime.timedelta(minutes=5),
        memory_bytes="2G",
        stage_in=["input.txt", ("a", "b"), cuttle.StagingEntry("c", "d")],
        retry_limit=2,
    )
    assert d.executable == "/bin/sh"
    assert d.arguments == ["-c", "exit 4"]
    assert d.max_runtime == datetime.timedelta(minutes=5)
    assert d.memory_bytes == 2 * 1024**3
    assert d.stage_in == [
        cuttle.StagingEntry("input.txt", ""),
        cuttle.StagingEntry("a", "b"),
        cuttle.StagingEntry("c", "d"),
    ]
    assert d.retry_limit == 2
    assert d.nodes is None


def test_job_description_max_runtime_accepts_seconds_and_none():
    d = cuttle.JobDescription(executable="true", max_runtime=90)
    assert d.max_runtime == datetime.timedelta(seconds=90)
    d.max_runtime = 0.2  # rounded up to whole seconds, never down to zero
    assert d.max_runtime == datetime.timedelta(seconds=1)
    d.max_runtime = None
    assert d.max_runtime is None
    with pytest.raises(cuttle.InvalidArgument, match="minutes"):
        d.max_runtime = "5 minutes"  # texts are the command line's: "5m"
    with pytest.raises(TypeError):
        d.max_runtime = [5]


def test_job_description_rejects_unknown_fields_listing_the_valid_ones():
    with pytest.raises(TypeError) as info:
        cuttle.JobDescription(executable="true", exectuable="typo")
    assert "exectuable" in str(info.value)
    assert "max_runtime" in str(info.value)


def test_job_description_repr_shows_the_fields_that_are_set():
    d = cuttle.JobDescription(executable="/bin/sh", arguments=["-c", "exit 4"])
    assert repr(d) == "JobDescription(executable='/bin/sh', arguments=['-c', 'exit 4'])"
    assert d == cuttle.JobDescription(executable="/bin/sh", arguments=["-c", "exit 4"])
    assert d != cuttle.JobDescription(executable="/bin/sh")
    copy = d.copy()
    copy.arguments = []
    assert d.arguments == ["-c", "exit 4"]


def test_job_description_validate_names_the_field():
    with pytest.raises(cuttle.InvalidJobDescription) as info:
        cuttle.JobDescription(executable="true", retry_limit=-1).validate()
    assert info.value.field == "retry_limit"
    assert info.value.reason
    assert isinstance(info.value, cuttle.Error)
    assert isinstance(info.value, ValueError)


def test_resource_keywords_round_trip_and_validate_naming_the_field():
    d = cuttle.JobDescription(
        executable="true",
        gpus=2,
        gpu_type="a100",
        account="chem42",
        qos="high",
        reservation="maint",
        constraints=["ssd", "ib"],
        exclusive_nodes=True,
    )
    assert (d.gpus, d.gpu_type, d.account, d.qos, d.reservation) == (2, "a100", "chem42", "high", "maint")
    assert d.constraints == ["ssd", "ib"] and d.exclusive_nodes is True
    d.validate()
    assert '"exclusive_nodes":true' in d.to_json()
    with pytest.raises(TypeError):
        cuttle.JobDescription(executable="true", constraints="ssd")  # a str is not a list
    with pytest.raises(cuttle.InvalidJobDescription) as info:
        cuttle.JobDescription(executable="true", gpu_type="a100").validate()
    assert info.value.field == "gpu_type"
    assert "needs gpus" in info.value.reason


def test_local_refuses_a_gpu_job_naming_the_field(scheduler):
    assert scheduler.capabilities.gpus is False
    with pytest.raises(cuttle.Unsupported) as info:
        scheduler.submit(cuttle.JobDescription(executable="true", gpus=1))
    assert str(info.value).startswith("gpus: the local adaptor cannot honour it")


def test_job_state_is_a_python_enum():
    import enum

    assert issubclass(cuttle.JobState, enum.Enum)
    assert cuttle.JobState.COMPLETED == "Completed"
    assert cuttle.JobState("completed") is cuttle.JobState.COMPLETED
    assert cuttle.JobState.COMPLETED.is_final
    assert not cuttle.JobState.RUNNING.is_final
    assert [s.value for s in cuttle.JobState] == [
        "New",
        "StagingIn",
        "Queued",
        "Running",
        "StagingOut",
        "Completed",
        "Failed",
        "Cancelled",
        "Expired",
        "Error",
    ]


def test_credential_repr_never_shows_the_secret():
    c = cuttle.Credential.password("alice", "hunter2")
    assert c.kind == "password"
    assert c.user == "alice"
    assert "hunter2" not in repr(c)
    k = cuttle.Credential.key("/home/a/.ssh/id_ed25519", "s3cret")
    assert k.kind == "key_file"
    assert "s3cret" not in repr(k)
    assert cuttle.Credential.default().kind == "default"
    assert "tok-abc" not in repr(cuttle.Credential.token("tok-abc"))


def test_adaptors_lists_local_with_typed_properties():
    adaptors = {a.name: a for a in cuttle.adaptors()}
    assert "local" in adaptors
    local = adaptors["local"]
    assert "local" in local.schemes
    assert local.location_forms
    names = {p.name: p for p in local.properties}
    assert "mode" in names
    assert names["mode"].type in {"string", "int", "bool", "duration", "size"}
    assert names["mode"].help
    assert isinstance(local.capabilities.staging, bool)
    assert "local" in repr(local)


def test_unknown_property_is_an_error_listing_the_valid_ones():
    with pytest.raises(cuttle.InvalidArgument) as info:
        cuttle.Scheduler("local://", properties={"no.such.property": "1"})
    assert "mode" in str(info.value)


def test_property_values_may_be_python_types():
    with cuttle.Scheduler(
        "local://",
        properties={"cancel.grace": datetime.timedelta(seconds=2), "max.concurrent": 4},
    ) as s:
        assert s.adaptor_name == "local"


def test_unknown_scheme_is_an_error():
    with pytest.raises(cuttle.InvalidArgument):
        cuttle.Scheduler("nosuchscheme://")


def test_error_hierarchy_maps_to_builtin_exceptions():
    assert issubclass(cuttle.NoSuchJob, cuttle.Error)
    assert issubclass(cuttle.NoSuchJob, LookupError)
    assert issubclass(cuttle.InvalidJobDescription, ValueError)
    assert issubclass(cuttle.ConnectionFailed, ConnectionError)
    assert issubclass(cuttle.AuthenticationFailed, PermissionError)
    assert issubclass(cuttle.Unsupported, NotImplementedError)
    assert issubclass(cuttle.Timeout, TimeoutError)
    for cls in (cuttle.CommandFailed, cuttle.StagingFailed, cuttle.InternalError):
        assert issubclass(cls, cuttle.Error)
    assert cuttle.CommandFailed.kind
    assert cuttle.Error.__module__ == "cuttle"
