"""cuttle.JobState: the closed set of job states, as a Python enum.

Members compare equal to their text ("Completed"), which is also what the C++ library,
the REST service and the command line print.
"""

import enum

__all__ = ["JobState"]


class JobState(str, enum.Enum):
    """The state of a job. Non-final states in the order a job passes through them,
    then the final ones (exactly one of them ends every job)."""

    NEW = "New"
    STAGING_IN = "StagingIn"
    QUEUED = "Queued"
    RUNNING = "Running"
    STAGING_OUT = "StagingOut"
    COMPLETED = "Completed"  #: exit code 0
    FAILED = "Failed"  #: non-zero exit code or killed by a signal
    CANCELLED = "Cancelled"  #: cancelled by a user
    EXPIRED = "Expired"  #: the time allocation (max_runtime) ran out
    ERROR = "Error"  #: the system failed: submit, staging, node failure, job lost

    @property
    def is_final(self) -> bool:
        """True for Completed, Failed, Cancelled, Expired and Error."""
        return self in _FINAL

    @classmethod
    def _missing_(cls, value):
        # Accept any case, as the C++ parse_job_state does: JobState("completed").
        if isinstance(value, str):
            for member in cls:
                if member.value.lower() == value.lower():
                    return member
        return None

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"JobState.{self.name}"


_FINAL = frozenset(
    {JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.EXPIRED, JobState.ERROR}
)
