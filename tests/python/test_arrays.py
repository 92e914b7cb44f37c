"""Job arrays from Python (docs/arrays.md): the array keyword, element ids and statuses."""

import pytest

import cuttle


def test_array_keyword_takes_a_spec_or_a_count_and_reads_back_the_spec():
    assert cuttle.JobDescription(executable="true", array="0-9%2").array == "0-9:1%2"
    assert cuttle.JobDescription(executable="true", array=5).array == "0-4:1"
    assert cuttle.JobDescription(executable="true").array is None
    d = cuttle.JobDescription(executable="true", array="3")
    d.array = None
    assert d.array is None


def test_a_bad_array_names_the_field():
    with pytest.raises(cuttle.InvalidJobDescription) as error:
        cuttle.JobDescription(executable="true", array="9-2")
    assert error.value.field == "array"
    with pytest.raises(TypeError):
        cuttle.JobDescription(executable="true", array=True)


def test_elements_of_a_local_array_each_have_their_own_exit_code():
    with cuttle.Scheduler("local://") as s:
        job = s.submit(cuttle.JobDescription(executable="/bin/sh",
                                             arguments=["-c", "exit $CUTTLE_ARRAY_INDEX"],
                                             array="0-2%1"))
        status = s.wait_until_done(job, 30)
        assert [(e.index, e.exit_code) for e in status.array_elements] == [(0, 0), (1, 1), (2, 2)]
        assert status.state == cuttle.JobState.FAILED and status.exit_code == 2
        element = s.status(cuttle.array_element_id(job.id, 1))
        assert element.exit_code == 1 and element.state == cuttle.JobState.FAILED
        assert status.to_dict()["array_elements"][2] == {"index": 2, "state": "Failed",
                                                         "exit_code": 2}
