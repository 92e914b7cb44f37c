"""Conveniences a PSI/J user expects, written in Python on top of the native module:
Job.wait(target_states=...), Job.on_change(callback), JobDescription.to_dict()/from_dict(),
JobStatus.to_dict(). They only call public methods, so they behave the same on every
adaptor."""

import json
import time

from ._state import JobState

# How long one native wait may block before the target states are checked again.
_SLICE = 0.1


def _job_wait(self, timeout=None, target_states=None):
    """Waits until the job reaches one of `target_states` (a JobState or an iterable of
    them; default: any final state) or `timeout` (seconds or datetime.timedelta) passes.
    Returns the latest JobStatus; check .state: on timeout it is not in target_states.
    A final state always ends the wait, since no other state can follow it."""
    if target_states is None:
        targets = None
    elif isinstance(target_states, (JobState, str)):
        targets = {JobState(target_states)}
    else:
        targets = {JobState(s) for s in target_states}
    if hasattr(timeout, "total_seconds"):
        timeout = timeout.total_seconds()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        status = self.status()
        if status.done or (targets is not None and status.state in targets):
            return status
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return status
        status = self.wait_until_done(timeout=_SLICE if left is None else min(_SLICE, left))
        if status.done:
            return status


def _job_on_change(self, callback):
    """Calls callback(status) on every state change of this job (on Cuttle's thread).
    Returns the Subscription; close it (or use it in a with block) to stop."""
    job_id = self.id

    def only_this_job(status):
        if status.id == job_id:
            callback(status)

    return self.scheduler.subscribe(only_this_job)


def _description_to_dict(self):
    """The description as a dict of JSON values (see to_json())."""
    return json.loads(self.to_json())


def _description_from_dict(cls, fields):
    """A JobDescription from a dict such as to_dict() returns."""
    return cls.from_json(json.dumps(fields))


def _status_to_dict(self):
    """The status as a dict of JSON values; times are RFC 3339 UTC text."""

    def when(t):
        return None if t is None else t.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return {
        "id": self.id,
        "state": str(self.state.value if hasattr(self.state, "value") else self.state),
        "native_state": self.native_state,
        "reason": self.reason,
        "exit_code": self.exit_code,
        "step_exit_codes": list(self.step_exit_codes),
        "array_elements": [
            {"index": e.index, "state": str(e.state.value if hasattr(e.state, "value") else e.state),
             "exit_code": e.exit_code}
            for e in self.array_elements
        ],
        "error": self.error,
        "running": self.running,
        "done": self.done,
        "submitted": when(self.submitted),
        "started": when(self.started),
        "finished": when(self.finished),
        "deadline": when(self.deadline),
        "attempt": self.attempt,
        "scheduler_info": dict(self.scheduler_info),
    }


def install(native):
    native.Job.wait = _job_wait
    native.Job.on_change = _job_on_change
    native.JobDescription.to_dict = _description_to_dict
    native.JobDescription.from_dict = classmethod(_description_from_dict)
    native.JobStatus.to_dict = _status_to_dict
