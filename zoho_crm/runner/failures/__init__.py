"""Every failure of a run as one line naming its cause, and the exit code a scheduler acts on.

0 done, 1 failed (run again, or act on the cause named), 2 fix your configuration, 3 stopped early with nothing
lost (run again). dlt wraps a failure in `PipelineStepFailed`, `ResourceExtractionError`, load job exceptions and
more; the line names the step, the Zoho module or dlt resource, and the cause at the bottom of that chain.
"""

import traceback
from typing import List, NamedTuple, Optional

from ...errors import ZohoConnectionError, ZohoCrmStoppedEarly, ZohoCrmUserError
from .api import api_failure
from .chain import exception_chain, first, innermost_message, one_line, redact, resource_name, step_failed
from .configuration import user_error
from .destination import destination_failure

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_CONFIGURATION = 2
EXIT_STOPPED_EARLY = 3


class Failure(NamedTuple):
    """What to tell the user and the scheduler."""

    exit_code: int
    line: str


def describe_failure(exc: BaseException) -> Failure:
    """The exit code and the single line to print on stderr for a failed run.

    Args:
        exc: What the run raised (a `PipelineStepFailed` or anything raised before dlt's steps began).

    Returns:
        `Failure(3, <the stop's own line>)` when the run stopped early with nothing lost,
        `Failure(2, "error: <how to fix the configuration>")`, or `Failure(1, "error: <step> step failed …")`.
    """
    links = exception_chain(exc)
    stopped = first(links, ZohoCrmStoppedEarly)
    if stopped is not None:
        return Failure(EXIT_STOPPED_EARLY, redact(one_line(str(stopped))))
    step = step_failed(links)
    if not _dropped_mid_run(links, step):
        message = user_error(links)
        if message:
            return Failure(EXIT_CONFIGURATION, f"error: {redact(one_line(message))}")
    if step is None or step.step == "extract":
        cause = api_failure(links) or destination_failure(links, step)
    else:
        cause = destination_failure(links, step) or api_failure(links)
    where, text = cause or (None, _unexplained(links))
    resource = resource_name(links)
    subject = f" for {where}" if where else f" in resource {resource}" if resource else ""
    prefix = f"{step.step} step failed{subject}: " if step is not None else ""
    return Failure(EXIT_FAILED, f"error: {prefix}{text}")


def failure_report(exc: BaseException) -> str:
    """The full exception chain with tracebacks, for `--verbose` and bug reports (secrets masked)."""
    return redact("".join(traceback.format_exception(exc)).rstrip())


def _dropped_mid_run(links: List[BaseException], step: Optional[object]) -> bool:
    """A connection lost while extracting: the API answered earlier in the run, so not a configuration error."""
    return getattr(step, "step", None) == "extract" and isinstance(first(links, ZohoCrmUserError), ZohoConnectionError)


def _unexplained(links: List[BaseException]) -> str:
    return f"{type(links[-1]).__name__}: {innermost_message(links)} (run with --verbose for the details)"
