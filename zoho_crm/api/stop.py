"""Stopping a run promptly: one request, seen by every thread that waits or is about to call Zoho.

A run stops because it failed (a call failed for good in one thread: the others need not finish theirs), because
Zoho's daily credits ran out, or because it was asked to (SIGTERM, SIGINT: `runner` turns signals into requests).
The gate checks the request before each attempt, while waiting for a concurrency slot and while sleeping between
retries (`wait` wakes as soon as a request is made), so every thread gives up within a fraction of a second and
dlt's extract pool shuts down cleanly.
"""

import threading
from typing import Optional

from ..errors import ZohoCrmStoppedEarly


class ZohoRunCancelled(Exception):
    """A call given up because the run is stopping for a reason found elsewhere (the cause is chained)."""

    def __init__(self, reason: BaseException) -> None:
        super().__init__(f"the run is stopping: {reason}")
        self.__cause__ = reason


class RunStop:
    """A thread-safe request to stop one run; the first reason given is kept."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.reason: Optional[BaseException] = None

    def request(self, reason: BaseException) -> None:
        """Ask every part of the run to stop (a second request keeps the first reason)."""
        with self._lock:
            if self.reason is None:
                self.reason = reason
        self._event.set()

    @property
    def requested(self) -> bool:
        """True once a stop was requested."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at once when a stop is requested; True when it was."""
        return self._event.wait(seconds)

    def exception(self) -> BaseException:
        """What a thread raises when it gives up: a stop with nothing lost as itself, else `ZohoRunCancelled`."""
        reason = self.reason or RuntimeError("stop requested")
        return reason if isinstance(reason, ZohoCrmStoppedEarly) else ZohoRunCancelled(reason)
