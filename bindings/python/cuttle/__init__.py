"""Cuttle: one API to run jobs on local processes, SSH hosts, Slurm and Torque.

    import cuttle
    with cuttle.Scheduler("local://") as s:
        job = s.submit(cuttle.JobDescription(executable="/bin/sh", arguments=["-c", "exit 4"]))
        print(s.wait_until_done(job).exit_code)   # 4

Every blocking call releases the GIL; waits can be interrupted with Ctrl-C. Listeners
(Scheduler.subscribe, Tracker.add_listener) run on Cuttle's own threads with the GIL
taken. Errors derive from cuttle.Error. See docs/python.md.
"""

from ._state import JobState

try:
    from . import _cuttle
except ImportError as _error:  # most often: an interpreter other than the one built for
    import glob as _glob
    import importlib.machinery as _machinery
    import os as _os
    import sys as _sys

    _built = [_os.path.basename(b) for b in _glob.glob(_os.path.join(_os.path.dirname(__file__), "_cuttle*.so"))]
    # ".so" is in EXTENSION_SUFFIXES too; only the tagged ones say which interpreter.
    _tags = [s for s in _machinery.EXTENSION_SUFFIXES if s != ".so"]
    _mine = [b for b in _built if any(b.endswith(t) for t in _tags)]
    _here = f"CPython {_sys.version_info.major}.{_sys.version_info.minor} at {_sys.executable}"
    if _built and not _mine:
        _why = (
            f"cuttle's native part was built for another Python ({', '.join(_built)}), "
            f"not for this interpreter ({_here}). Fix: run `{_sys.executable} -m pip install .` "
            f"in the cuttle sources, or configure CMake with -DPython3_EXECUTABLE={_sys.executable}"
        )
    elif not _built:
        _why = (
            f"cuttle's native part is missing (no _cuttle*.so next to {__file__}); "
            f"build the cuttle_python target or run `{_sys.executable} -m pip install .`"
        )
    else:
        _why = f"cannot load the native part of cuttle ({_error}); this interpreter: {_here}"
    raise ImportError(_why) from None

from . import _extras

_extras.install(_cuttle)

from ._cuttle import (
    AdaptorDescriptor,
    ArrayElementStatus,
    AttemptRecord,
    AuthenticationFailed,
    Capabilities,
    CommandFailed,
    ConnectionFailed,
    Credential,
    Error,
    InternalError,
    InvalidArgument,
    InvalidJobDescription,
    Job,
    JobDescription,
    JobStatus,
    JobStep,
    Location,
    NoSuchJob,
    PropertyDescriptor,
    QueueInfo,
    Scheduler,
    StagingEntry,
    StagingFailed,
    Subscription,
    Timeout,
    TrackedChange,
    Tracker,
    Unsupported,
    __version__,
    adaptors,
    array_element_id,
)

__all__ = [
    "AdaptorDescriptor",
    "ArrayElementStatus",
    "AttemptRecord",
    "AuthenticationFailed",
    "Capabilities",
    "CommandFailed",
    "ConnectionFailed",
    "Credential",
    "Error",
    "InternalError",
    "InvalidArgument",
    "InvalidJobDescription",
    "Job",
    "JobDescription",
    "JobState",
    "JobStatus",
    "JobStep",
    "Location",
    "NoSuchJob",
    "PropertyDescriptor",
    "QueueInfo",
    "Scheduler",
    "StagingEntry",
    "StagingFailed",
    "Subscription",
    "Timeout",
    "TrackedChange",
    "Tracker",
    "Unsupported",
    "__version__",
    "adaptors",
    "array_element_id",
]

# Classes print as cuttle.X (not cuttle._cuttle.X) in help() and tracebacks.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__ == "cuttle._cuttle":
        try:
            _obj.__module__ = "cuttle"
        except (AttributeError, TypeError):
            pass
del _name, _obj
