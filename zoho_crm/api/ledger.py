"""The run's ledger: every Zoho CRM API call by module and kind, the credits it cost, the credit budget, retries
and deletions.

Calls are classified from their URL (and a Bulk Read job's body), so the gate counts every call at one place
whoever made it. Credit costs come from `settings.CREDIT_COSTS`. Readers reserve credits before the calls they
commit to (a listing page reserves the detail calls its ids will need), so a run that hits `credit_budget` stops
between pages with everything it listed fetched, never in the middle.
"""

import contextlib
import json
import re
import threading
from collections import Counter
from datetime import datetime
from typing import Any, Dict, Iterator, MutableMapping, Optional, Tuple, TypeVar
from urllib.parse import parse_qs, urlsplit

from ..settings import API_VERSION, CREDIT_COSTS
from .timestamps import zoho_clock

TCallKey = Tuple[str, str]  # (module or "", kind)
T = TypeVar("T")
METRICS_CALLS = "zoho_api_calls"
METRICS_CREDITS = "zoho_api_credits"
METRICS_RECONCILIATION = "zoho_reconciliation"
READ_KINDS = frozenset({"list", "bulk_create", "users"})  # the calls that start reading a module's records


def classify_call(method: str, url: str, body: Any = None) -> TCallKey:
    """(module, kind) of a Zoho CRM API call from its method, URL and (for Bulk Read jobs) JSON body.

    Kinds: list, detail (`?ids=`), record (`/{module}/{id}`), deleted, users, metadata (`/settings/…`, `/org…`),
    coql (a record count), bulk_create, bulk_status, bulk_download.
    """
    parts = urlsplit(url)
    path = [p for p in parts.path.split("/") if p]
    if path[:3] == ["crm", "bulk", API_VERSION]:
        if method.upper() == "POST":
            return _bulk_module(body), "bulk_create"
        return "", "bulk_download" if path[-1] == "result" else "bulk_status"
    rest = path[2:] if path[:2] == ["crm", API_VERSION] else path
    if not rest:
        return "", "other"
    query = parse_qs(parts.query)
    if rest[0] == "settings" or rest[0] == "org":
        return (query.get("module") or [""])[0], "metadata"
    if rest[0] == "users":
        return "Users", "users"
    if rest[0] == "coql":
        return _coql_module(body), "coql"
    module = rest[0]
    if len(rest) == 1:
        return module, "detail" if "ids" in query else "list"
    return module, "deleted" if rest[1] == "deleted" else "record"


def _json_body(body: Any) -> Dict[str, Any]:
    """The JSON object a POST sent (a COQL query, a Bulk Read job), or {}."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _coql_module(body: Any) -> str:
    found = re.search(r"\bfrom\s+(\w+)", str(_json_body(body).get("select_query") or ""), re.IGNORECASE)
    return found.group(1) if found else ""


def _bulk_query(body: Any) -> Dict[str, Any]:
    query = _json_body(body).get("query")
    return query if isinstance(query, dict) else {}


def _bulk_module(body: Any) -> str:
    return str((_bulk_query(body).get("module") or {}).get("api_name") or "")


class RunLedger:
    """Thread-safe counts for one run: calls and credits per (module, kind), the credit budget and reservations,
    retries per reason, tombstones per table, and the last `X-API-CREDITS-REMAINING` Zoho reported."""

    def __init__(self, credit_budget: Optional[int] = None) -> None:
        self._lock = threading.Lock()
        self.credit_budget = credit_budget
        self.calls: Counter[TCallKey] = Counter()
        self.credits: Counter[TCallKey] = Counter()
        self.retries: Counter[str] = Counter()
        self.tombstones: Counter[str] = Counter()
        self.credits_remaining: Optional[int] = None
        self.budget_stops: Counter[str] = Counter()  # readers that stopped early for the budget, by module
        self._reserved = 0
        self._metrics: Dict[str, MutableMapping[str, Any]] = {}  # module -> custom metrics of its dlt resource
        self._bulk_tokens: Dict[str, str] = {}  # Bulk Read page_token -> module (the next job's body names no module)
        self._purpose = threading.local()  # what the calls of this thread are for (`tagged`)
        self.credits_by_purpose: Counter[Tuple[str, str]] = Counter()  # (module, purpose) -> credits
        self.reconciliations: Dict[str, Dict[str, Any]] = {}  # module -> figures of its reconciliation this run
        self.reads_started: Dict[str, datetime] = {}  # module -> Zoho's clock when its first listing was answered

    def classify(self, method: str, url: str, body: Any = None) -> TCallKey:
        """`classify_call`, with the module of a Bulk Read job that continues another by `page_token`."""
        module, kind = classify_call(method, url, body)
        if kind == "bulk_create" and not module:
            module = self._bulk_tokens.get(str(_bulk_query(body).get("page_token") or ""), "")
        return module, kind

    def note_bulk_page_token(self, page_token: str, module: str) -> None:
        """Remember which module a Bulk Read `page_token` continues."""
        with self._lock:
            self._bulk_tokens[page_token] = module

    def note_read(self, key: TCallKey, date: Optional[str]) -> None:
        """Remember Zoho's clock (`date`, the answer's `Date` header) at a module's first read of the run (a listing
        or a Bulk Read job): every change made before it is in what the run loads."""
        module, kind = key
        if kind not in READ_KINDS or module in self.reads_started:
            return
        at = zoho_clock(date)
        if at is not None:
            with self._lock:
                self.reads_started.setdefault(module, at)

    def credits_of(self, key: TCallKey) -> int:
        """Credits spent so far on calls of one (module, kind)."""
        with self._lock:
            return self.credits[key]

    @contextlib.contextmanager
    def tagged(self, purpose: str) -> Iterator[None]:
        """Count the credits of the calls this thread makes inside the block under `purpose` as well (e.g. what a
        module's reconciliation spent). Do not yield inside the block: the tag belongs to the thread."""
        previous = getattr(self._purpose, "name", None)
        self._purpose.name = purpose
        try:
            yield
        finally:
            self._purpose.name = previous

    def credits_for(self, module: str, purpose: str) -> int:
        """Credits spent on `module`'s calls made for `purpose` (see `tagged`)."""
        with self._lock:
            return self.credits_by_purpose[(module, purpose)]

    def record_call(self, key: TCallKey, charged: bool, credits_remaining: Optional[str] = None) -> None:
        """Count one answered call; `charged` when Zoho bills it (answers below 400)."""
        cost = CREDIT_COSTS.get(key[1], 1) if charged else 0
        purpose = getattr(self._purpose, "name", None)
        with self._lock:
            self.calls[key] += 1
            if cost:
                self.credits[key] += cost
                if purpose:
                    self.credits_by_purpose[(key[0], purpose)] += cost
                self._reserved = max(0, self._reserved - cost)  # a reserved call consumes its reservation
            if credits_remaining is not None and credits_remaining.strip().isdigit():
                self.credits_remaining = int(credits_remaining)
            metrics = self._metrics.get(key[0])
            if metrics is not None:
                metrics[METRICS_CALLS] = _by_kind(self.calls, key[0])
                metrics[METRICS_CREDITS] = _by_kind(self.credits, key[0])

    def reserve(self, credits: int, module: str = "") -> bool:
        """Set `credits` aside for calls about to be made; False (and noted) when the budget cannot cover them."""
        with self._lock:
            budget = self.credit_budget
            if budget is not None and sum(self.credits.values()) + self._reserved + credits > budget:
                self.budget_stops[module] += 1
                return False
            self._reserved += credits
            return True

    def release(self, credits: int) -> None:
        """Give back a reservation that no call will use."""
        with self._lock:
            self._reserved = max(0, self._reserved - credits)

    def affordable(self, kind: str) -> bool:
        """True when one call of `kind` fits in what the budget has left (reservations included)."""
        with self._lock:
            if self.credit_budget is None:
                return True
            return sum(self.credits.values()) + CREDIT_COSTS.get(kind, 1) <= self.credit_budget

    def track_metrics(self, module: str, metrics: MutableMapping[str, Any]) -> None:
        """Keep calls and credits of `module` in `metrics` (a dlt resource's custom metrics, which dlt puts in the
        extract trace: `pipeline.last_trace.last_extract_info`)."""
        with self._lock:
            self._metrics[module] = metrics

    def record_reconciliation(self, module: str, figures: Dict[str, Any]) -> None:
        """Keep what `module`'s reconciliation found (also in its resource's custom metrics, hence in dlt's trace)."""
        with self._lock:
            self.reconciliations[module] = dict(figures)
            metrics = self._metrics.get(module)
            if metrics is not None:
                metrics[METRICS_RECONCILIATION] = dict(figures)

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

    def calls_of(self, module: str) -> Dict[str, int]:
        """Calls of one module per kind."""
        with self._lock:
            return _by_kind(self.calls, module)

    def credits_by_module(self) -> Dict[str, int]:
        """Credits per module ("" for org-wide calls such as the module list)."""
        with self._lock:
            out: Counter[str] = Counter()
            for (module, _), n in self.credits.items():
                out[module] += n
            return dict(out)

    def credits_total(self) -> int:
        """Credits this run spent."""
        with self._lock:
            return sum(self.credits.values())


class BudgetedPages:
    """The pages of one listing (`module`, `kind`), each paid for before it is requested: `credits` are reserved
    for a page (its call and what the caller commits to for its rows); when the budget cannot pay the next page the
    pages end there and `stopped` is set."""

    def __init__(self, ledger: RunLedger, module: str, kind: str, credits: int, pages: Iterator[T]) -> None:
        self.ledger, self.module, self.kind, self.credits = ledger, module, kind, credits
        self._pages = pages
        self.stopped = False

    def __iter__(self) -> Iterator[T]:
        key = (self.module, self.kind)
        while True:
            if not self.ledger.reserve(self.credits, self.module):
                self.stopped = True
                close = getattr(self._pages, "close", None)
                if close is not None:
                    close()
                return
            spent_before = self.ledger.credits_of(key)
            try:
                page = next(self._pages)
            except StopIteration:
                # the call that ended the listing (204/304) may have been billed, and took its credit already
                self.ledger.release(self.credits - (self.ledger.credits_of(key) - spent_before))
                return
            yield page


def _by_kind(counts: "Counter[TCallKey]", module: Optional[str] = None) -> Dict[str, int]:
    out: Counter[str] = Counter()
    for (call_module, kind), n in counts.items():
        if module is None or call_module == module:
            out[kind] += n
    return dict(out)
