"""The CLI's log lines: source and runner messages on stderr as `warning: …` (and `info: …` with --verbose).

Warnings about skipped modules and tables are held until the run ends: a run that then fails on its configuration
(a missing scope, say) prints only its one error line.
"""

import logging
import sys
from typing import Any, List

import dlt

PACKAGE_LOGGER = "zoho_crm"
DLT_LOGGER = "dlt"
# dlt's own words for a stop the run's one line already explains ("stopped by SIGTERM during load: …")
STOP_NOISE = ("Exiting runner due to signal", "was not fully loaded. Load job pool is successfully drained")


def log_level_is_verbose() -> bool:
    """True when dlt's `[runtime] log_level` asks for INFO or DEBUG."""
    level = dlt.config.get("runtime.log_level", str)
    return str(level or "").upper() in ("INFO", "DEBUG")


def configure_logging(verbose: bool) -> None:
    """Send the package's messages to stderr, once per process, at WARNING (INFO when verbose)."""
    package_logger = logging.getLogger(PACKAGE_LOGGER)
    if not any(isinstance(handler, StderrHandler) for handler in package_logger.handlers):
        handler = StderrHandler()
        handler.setFormatter(LowerLevelFormatter("%(levelname)s: %(message)s"))
        package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO if verbose else logging.WARNING)
    dlt_logger = logging.getLogger(DLT_LOGGER)
    if not any(isinstance(f, StopNoiseFilter) for f in dlt_logger.filters):
        dlt_logger.addFilter(StopNoiseFilter())


def release_skipped(show: bool) -> None:
    """Print (or drop) the warnings about skipped modules and tables held during the run."""
    for handler in logging.getLogger(PACKAGE_LOGGER).handlers:
        if isinstance(handler, StderrHandler):
            handler.release_skipped(show)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (callers and tests may redirect it between runs), holding
    the records marked `zoho_skipped` until `release_skipped`."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "zoho_skipped", False):
            self.skipped.append(record)
        else:
            super().emit(record)

    def release_skipped(self, show: bool) -> None:
        """Print (or drop) the held warnings."""
        held, self.skipped = self.skipped, []
        for record in held if show else ():
            super().emit(record)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class StopNoiseFilter(logging.Filter):
    """Leaves out dlt's warnings about a stop (a signal) that the run's one line states."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in STOP_NOISE)


class LowerLevelFormatter(logging.Formatter):
    """`warning: …` rather than `WARNING: …`."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace(record.levelname, record.levelname.lower(), 1)
