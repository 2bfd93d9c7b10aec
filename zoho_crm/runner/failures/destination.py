"""Describe a failure of the destination or of the local disk in the destination's (or the OS's) own words."""

import errno
from typing import List, Optional, Tuple

from dlt.load.exceptions import LoadClientJobException, LoadClientJobFailed, LoadClientJobTerminalRetry
from dlt.pipeline.exceptions import PipelineStepFailed

from ...destination.preflight import DUCKDB_LOCK, DestinationUnreachable
from .chain import exception_chain, first, innermost_message, one_line, redact

PENDING = "the load package stays pending and the next run loads it first, nothing lost"
ABORTED = (
    "the load package was aborted and the pipeline state rolled back, so the next run fetches these records again"
)
STUCK = (
    "the load package stays pending and every run retries it first: fix the table, or give the package up with "
    "`dlt pipeline {pipeline} abort-packages` (the next run then fetches its records again)"
)

# (table or None, cause)
DestinationCause = Tuple[Optional[str], str]


def destination_failure(links: List[BaseException], step: Optional[PipelineStepFailed]) -> Optional[DestinationCause]:
    """The destination's refusal (a lock, a failed load job, a database error) or a local disk problem."""
    unreachable = first(links, DestinationUnreachable)
    if isinstance(unreachable, DestinationUnreachable):
        cause = innermost_message(links[links.index(unreachable) + 1 :] or [unreachable])
        # the line of the sync step the run would have failed in: the preflight only comes before any Zoho call
        return None, f"sync step failed: destination {unreachable.destination}: {cause}"
    for exc in links:
        lock = DUCKDB_LOCK.search(str(exc))
        if lock:
            return None, (
                f"the DuckDB file {lock['path']} is in use by another process (PID {lock['pid']}, "
                f"{lock['program']}): close it (a notebook, DBeaver, the duckdb CLI) and run again"
            )
    job = first(links, LoadClientJobException)
    if isinstance(job, LoadClientJobException):
        table = str(getattr(job, "job_id", "")).split(".")[0] or None
        return table, f"{_destination(step)} refused the data: {_job_error(job)}; {_job_outcome(job, step)}"
    disk = _disk_problem(links)
    if disk:
        return None, disk
    if step is not None and step.step in ("sync", "load"):
        message = innermost_message(links)
        tail = f"; {PENDING}" if step.step == "load" and step.has_pending_data else ""
        return None, f"{_destination(step)}: {message}{tail}"
    return None


def _job_error(job: LoadClientJobException) -> str:
    """The database's own first line (its `failed_message` is a whole traceback)."""
    cause = getattr(job, "client_exception", None)
    text = str(exception_chain(cause)[-1]) if isinstance(cause, BaseException) else str(job)
    return redact(one_line(text.strip().splitlines()[0] if text.strip() else type(job).__name__))


def _job_outcome(job: LoadClientJobException, step: Optional[PipelineStepFailed]) -> str:
    if isinstance(job, LoadClientJobFailed):
        return ABORTED
    if isinstance(job, LoadClientJobTerminalRetry):
        pipeline = getattr(getattr(step, "pipeline", None), "pipeline_name", None) or "<pipeline>"
        return STUCK.format(pipeline=pipeline)
    return PENDING


def _destination(step: Optional[PipelineStepFailed]) -> str:
    destination = getattr(getattr(step, "pipeline", None), "destination", None)
    name = getattr(destination, "destination_name", None)
    return f"destination {name}" if name else "the destination"


def _disk_problem(links: List[BaseException]) -> Optional[str]:
    """A full disk or a refused path on this machine (dlt's working files, a local database file)."""
    for exc in links:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            where = f" writing {exc.filename}" if exc.filename else ""
            return f"no space left on the device{where}: free some space (or move DLT_DATA_DIR) and run again"
        if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            where = f" on {exc.filename}" if exc.filename else ""
            return f"permission denied{where}: let this user write there (or move DLT_DATA_DIR) and run again"
    return None

