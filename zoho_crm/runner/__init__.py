"""Run-level concerns, kept out of the source: the mirror run (`mirror.py`: one run at a time, load packages left
pending by an earlier run finished before new data is fetched, the org guard, resets, Delta deletions, the budget
stop), and every failure as one line with an exit code (`failures/`). `zoho_crm.mirror` and the CLI use them."""

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
