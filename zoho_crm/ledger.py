"""The run's ledger: every Zoho CRM API call by module and kind, the credits it cost, retries and deletions.

Calls are classified from their URL, so the gate counts every call at one place whoever made it (listings,
detail batches, metadata, deletions, users, Bulk Read). Credit costs come from `settings.CREDIT_COSTS`.
"""

import threading
from collections import Counter
from typing import Dict, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from .settings import API_VERSION, CREDIT_COSTS

TCallKey = Tuple[str, str]  # (module or "", kind)


def classify_call(method: str, url: str) -> TCallKey:
    """(module, kind) of a Zoho CRM API call from its method and URL.

    Kinds: list, detail (`?ids=`), record (`/{module}/{id}`), deleted, users, metadata (`/settings/…`, `/org…`),
    bulk_create, bulk_status, bulk_download.
    """
    parts = urlsplit(url)
    path = [p for p in parts.path.split("/") if p]
    if path[:3] == ["crm", "bulk", API_VERSION]:
        if method.upper() == "POST":
            return "", "bulk_create"
        return "", "bulk_download" if path[-1] == "result" else "bulk_status"
    rest = path[2:] if path[:2] == ["crm", API_VERSION] else path
    if not rest:
        return "", "other"
    query = parse_qs(parts.query)
    if rest[0] == "settings" or rest[0] == "org":
        return (query.get("module") or [""])[0], "metadata"
    if rest[0] == "users":
        return "Users", "users"
    module = rest[0]
    if len(rest) == 1:
        return module, "detail" if "ids" in query else "list"
    return module, "deleted" if rest[1] == "deleted" else "record"


class RunLedger:
    """Thread-safe counts for one run: calls and credits per (module, kind), retries per reason, tombstones per
    table, and the last `X-API-CREDITS-REMAINING` Zoho reported."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[TCallKey] = Counter()
        self.credits: Counter[TCallKey] = Counter()
        self.retries: Counter[str] = Counter()
        self.tombstones: Counter[str] = Counter()
        self.credits_remaining: Optional[int] = None

    def record_call(self, key: TCallKey, charged: bool, credits_remaining: Optional[str] = None) -> None:
        """Count one answered call; `charged` when Zoho bills it (answers below 400)."""
        with self._lock:
            self.calls[key] += 1
            if charged:
                self.credits[key] += CREDIT_COSTS.get(key[1], 1)
            if credits_remaining is not None and credits_remaining.strip().isdigit():
                self.credits_remaining = int(credits_remaining)

    def record_retry(self, reason: str) -> None:
        """Count one retried attempt (429, server error, dropped or truncated answer)."""
        with self._lock:
            self.retries[reason] += 1

    def record_tombstones(self, table: str, n: int) -> None:
        """Count deletion markers written to a module table."""
        with self._lock:
            self.tombstones[table] += n

    def calls_by_kind(self) -> Dict[str, int]:
        """Calls per kind, all modules together."""
        with self._lock:
            return _by_kind(self.calls)

    def credits_by_kind(self) -> Dict[str, int]:
        """Credits per kind, all modules together."""
        with self._lock:
            return _by_kind(self.credits)

    def credits_total(self) -> int:
        """Credits this run spent."""
        with self._lock:
            return sum(self.credits.values())


def _by_kind(counts: "Counter[TCallKey]") -> Dict[str, int]:
    out: Counter[str] = Counter()
    for (_, kind), n in counts.items():
        out[kind] += n
    return dict(out)
