"""Run-level concerns of an unattended runner, kept out of the source: one run at a time, every failure as one
line with an exit code, and load packages left pending by an earlier run finished before new data is fetched.
The CLI uses them; a scheduler that calls the source itself can use them too."""

from .failures import (
    EXIT_CONFIGURATION,
    EXIT_DONE,
    EXIT_FAILED,
    EXIT_STOPPED_EARLY,
    Failure,
    describe_failure,
    failure_report,
)
from .lock import PipelineRunLock, RunInProgress

__all__ = [
    "EXIT_CONFIGURATION",
    "EXIT_DONE",
    "EXIT_FAILED",
    "EXIT_STOPPED_EARLY",
    "Failure",
    "PipelineRunLock",
    "RunInProgress",
    "describe_failure",
    "failure_report",
]
