"""What help(cuttle) and IDEs show: every signature names the types it takes.

pybind11 renders an argument it receives as a raw Python object as `handle` or `object`;
a reader cannot tell from that that `timeout` takes a timedelta or seconds. Each such
argument is typed (bindings/python/arg_types.h); this test reads every docstring
signature of the module and fails on any that fell back to a raw object.
"""
import inspect
import re

import cuttle
import cuttle._cuttle as native

RAW = re.compile(r"(:\s*(handle|object)\b)|(->\s*(handle|object)\b)")


def signatures():
    for name, cls in inspect.getmembers(native, inspect.isclass):
        for attr, member in vars(cls).items():
            doc = getattr(member, "__doc__", None) or ""
            for line in doc.splitlines():
                if line.startswith(attr + "(") or re.match(r"^\d+\. " + re.escape(attr) + r"\(", line):
                    yield f"{name}.{attr}", line
    for name, fn in inspect.getmembers(native, inspect.isbuiltin):
        for line in (fn.__doc__ or "").splitlines():
            if line.startswith(name + "("):
                yield name, line


def test_signatures_were_found():
    found = dict(signatures())
    assert "Scheduler.wait_until_done" in found
    assert "Tracker.wait_idle" in found
    assert "timedelta" in found["Scheduler.wait_until_done"]


def test_no_signature_shows_a_raw_python_object():
    raw = [
        f"{where}: {line}"
        for where, line in signatures()
        # __eq__ takes any object: `object` is the right annotation there.
        if RAW.search(line) and not where.endswith(".__eq__")
    ]
    assert raw == [], "\n".join(raw)


def test_typed_arguments_still_accept_every_form(tmp_path):
    with cuttle.Scheduler("local://", properties={"sandbox.root": str(tmp_path)}) as s:
        job = s.submit(executable="/bin/true")
        import datetime

        assert s.wait_until_done(job, datetime.timedelta(seconds=30)).done
        assert s.wait_until_done(job.id, 30).done
        assert s.wait_until_done(job, 30.0).done
        assert s.wait_until_done(job, "30s").done
        try:
            s.wait_until_done(job, [30])
        except TypeError as e:
            assert "timedelta" in str(e)
        else:
            raise AssertionError("a list timeout was accepted")
        try:
            s.wait_until_done(job, "soon")
        except cuttle.InvalidArgument as e:
            assert "soon" in str(e)
        else:
            raise AssertionError("'soon' was accepted as a duration")
        try:
            s.status(42)
        except TypeError as e:
            assert "job id" in str(e)
        else:
            raise AssertionError("an int job was accepted")
