"""Calls, credits, faults, concurrency and the request log."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

DAY = 86400


class Accounting:
    """Thread-safe counters; the credit window is rolling 24 h on the emulator clock (Kaizen #93)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Clear calls, credits, faults, peak concurrency and the request log (the credit window too)."""
        with self._lock:
            self.calls: Counter[str] = Counter()
            self.credits: Counter[str] = Counter()
            self.faults: Counter[str] = Counter()
            self.inflight = 0
            self.peak = 0
            self.requests: list[dict[str, Any]] = []
            self._window: deque[tuple[float, int]] = deque()

    def enter(self) -> int:
        """A /crm request starts; returns the number in flight including it."""
        with self._lock:
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)
            return self.inflight

    def leave(self) -> None:
        """A /crm request ended."""
        with self._lock:
            self.inflight -= 1

    def call(self, kind: str) -> None:
        """Count one call of a kind."""
        with self._lock:
            self.calls[kind] += 1

    def fault(self, name: str) -> None:
        """Count one injected or limit fault."""
        with self._lock:
            self.faults[name] += 1

    def charge(self, kind: str, credits: int, now: float) -> None:
        """Charge credits for a successful call."""
        if credits <= 0:
            return
        with self._lock:
            self.credits[kind] += credits
            self._window.append((now, credits))

    def used_24h(self, now: float) -> int:
        """Credits spent in the last 24 hours."""
        with self._lock:
            while self._window and now - self._window[0][0] >= DAY:
                self._window.popleft()
            return sum(c for _, c in self._window)

    def log(self, entry: dict[str, Any]) -> None:
        """Append one request to the log."""
        with self._lock:
            self.requests.append(entry)

    def stats(self) -> dict[str, Any]:
        """Snapshot: calls and credits per kind, total credits, faults and peak concurrency."""
        with self._lock:
            return {"calls": dict(self.calls), "credits": dict(self.credits),
                    "credits_total": sum(self.credits.values()), "faults": dict(self.faults),
                    "peak_concurrency": self.peak}
