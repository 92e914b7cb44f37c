"""Dependencies as a Python keyword (docs/dependencies.md): the CLI's strings, pairs,
a JSON round trip, and a bad condition named by its entry."""
import pytest

import cuttle


def test_dependencies_take_strings_and_pairs_and_round_trip_through_json():
    d = cuttle.JobDescription(executable="/bin/true",
                              dependencies=["after_ok:12", ("after_not_ok", "13")])
    assert d.dependencies == [("after_ok", "12"), ("after_not_ok", "13")]
    assert cuttle.JobDescription.from_json(d.to_json()).dependencies == d.dependencies


def test_an_unknown_condition_is_refused_naming_the_entry():
    with pytest.raises(cuttle.InvalidJobDescription, match=r"dependencies\[1\]"):
        cuttle.JobDescription(executable="/bin/true", dependencies=["after_ok:1", "before:2"])
    with pytest.raises(TypeError):
        cuttle.JobDescription(executable="/bin/true", dependencies="after_ok:1")


def test_a_detached_local_chain_runs_in_order(tmp_path):
    with cuttle.Scheduler("local://", properties={"mode": "detached",
                                                  "sandbox.root": str(tmp_path)}) as s:
        first = s.submit(cuttle.JobDescription(executable="/bin/sh", arguments=["-c", "exit 1"]))
        second = s.submit(cuttle.JobDescription(executable="/bin/true",
                                                dependencies=[("after_not_ok", first)]))
        assert second.wait_until_done(timeout=30).state == cuttle.JobState.COMPLETED
