"""Reconciliation: repair what no incremental listing shows.

Some changes never move `Modified_Time`: formula and rollup values Zoho recalculates, the names that records carry of
the records they look up (`Account_Name`, `Owner`) after a rename, deletions whose entries aged out of `/deleted`
(or that an emptied recycle bin never listed), records restored with their old `Modified_Time`. Once per
`reconcile_every_hours`, per module, in the same run as its incremental listing:

1. Zoho's side: the id, `Modified_Time` and those values (fields whose metadata `data_type` is `formula` or
   `rollup_summary`, the names of lookups and owners) of every live record: a Get Records listing with `fields`
   (at most 50 a call, converted and unapproved records included), or one Bulk Read job past `bulk_threshold`.
2. The mirror's side: the same columns read back from the destination through dlt, batch by batch.
3. Records whose values differ, and records Zoho has that the mirror lacks, are fetched again by ids and merged.
   Records the incremental listing fetches anyway (modified since the cursor it starts from) are left to it.
4. Records the mirror holds that Zoho did not list are fetched by ids first (a listing can miss a record, a
   deletion must not be a guess): those Zoho still has are merged, the others are deleted per `delete_mode` and
   logged in `zoho_crm_deleted_records` with `type` "reconciliation" (their `deleted_time` is the last
   `Modified_Time` the mirror knew: Zoho no longer tells when).

What it reads, compares and changes is one load package with the module's cursors: a run that fails or is killed
applies nothing and the next run reconciles again. The listing's credits are reserved before the first call, and
the fetches' before the first fetch: a reconciliation the credit budget cannot pay waits for a later run (exit 3).
What it found goes to `zoho_crm_reconciliations`, the run summary and dlt's trace.
"""

import logging
import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import dlt
import pendulum
from dlt.common.schema.utils import has_table_seen_data
from dlt.common.typing import TDataItem

from ..api.ledger import RunLedger
from ..api.timestamps import EPOCH, to_utc
from ..context import RunContext
from ..destination import mirror_read
from ..errors import ZohoApiError
from ..records.csv_records import name_column
from ..records.schema import TFieldMeta
from ..records.shape import shape_records
from ..settings import (
    CURSOR_FIELD,
    DELETED_CURSOR,
    MAX_FIELDS_PER_CALL,
    METADATA_RESERVE,
    NAMED_LOOKUP_TYPES,
    PER_PAGE,
    RECONCILED_DELETION,
    SKIPPED,
    VOLATILE_TYPES,
)
from .bulk import BulkReadFailed, JobJournal, export, journal_path
from .deleted import tombstones
from .rest import ListedRows, full_records
from .streams import in_extract_pool

logger = logging.getLogger(__name__)
RECONCILED_AT = "reconciled_at"  # resource state: when the module was last reconciled (or first loaded), UTC
RECONCILE = "reconcile"  # the ledger's purpose tag of the reconciliation's calls
RECORD = "_zoho_reconciled_record"  # item key: a record fetched again
GHOST = "_zoho_ghost"  # item key: the deletion log row of a record Zoho no longer has
REPORT = "_zoho_reconciliation"  # item key: the reconciliation's report row
REPORT_COLUMNS = {
    "module": {"name": "module", "data_type": "text", "nullable": False},
    "reconciled_at": {"name": "reconciled_at", "data_type": "timestamp", "nullable": False},
    "reader": {"name": "reader", "data_type": "text", "nullable": True},
    **{
        n: {"name": n, "data_type": "bigint", "nullable": True}
        for n in ("checked", "refreshed", "added", "removed", "credits")
    },
}
RUN_ERRORS = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"})  # the token, not the module: fail the run
NUMBER_TYPES = frozenset({"double", "currency", "integer", "long", "bigint", "decimal", "percent"})
TLive = Dict[int, Tuple[int, int]]  # id -> (Modified_Time as epoch seconds, hash of the compared values)


@dataclass(frozen=True)
class Compared:
    """One value a reconciliation compares: its Zoho API name, how to read it, and its mirror column."""

    api_name: str
    kind: str  # number, boolean, date, datetime, text, or name (of a lookup)
    column: str
    csv_column: str  # the Bulk Read column that carries it


@dataclass
class Findings:
    """What the comparison found."""

    reader: str = "rest"
    checked: int = 0
    refresh: List[str] = field(default_factory=list)  # values differ
    add: List[str] = field(default_factory=list)  # Zoho has, the mirror lacks
    missing: Dict[str, Any] = field(default_factory=dict)  # the mirror has, Zoho did not list: id -> last Modified_Time


def reconciliation(
    context: RunContext,
    module: str,
    table: str,
    every_hours: float,
    ids_per_request: int,
    bulk_threshold: int,
) -> Iterator[List[TDataItem]]:
    """Items of `module`'s reconciliation when it is due (see the module docstring), for the transformers that
    merge records, delete and log what Zoho no longer has, and report."""
    state = dlt.current.resource_state()
    started = pendulum.now("UTC")
    if not due(state.get(RECONCILED_AT), every_hours, started):
        return
    schema = dlt.current.source_schema()
    if table not in schema.tables or not has_table_seen_data(schema.tables[table]):
        state[RECONCILED_AT] = started.isoformat()  # a first load counts as a reconciliation
        return
    pipeline = dlt.current.pipeline()
    if not mirror_read.readable(pipeline, table):
        logger.info("%s not reconciled: the destination appends files, it keeps no mirror to compare", module)
        return
    done: List[bool] = []
    job = _Job(context, module, table, ids_per_request, bulk_threshold, pipeline, started)
    yield from in_extract_pool(context, _postponed_on_refusal(module, job.items(done)))
    if done:
        state[RECONCILED_AT] = started.isoformat()  # committed with the load package, like the cursors


def _postponed_on_refusal(module: str, items: Iterator[List[TDataItem]]) -> Iterator[List[TDataItem]]:
    """A reconciliation Zoho refuses (a module the token may no longer read, a field it may not list) does not fail
    the run's incremental part: it is tried again on the next run. Throttling and a rejected token still stop it."""
    try:
        yield from items
    except ZohoApiError as ex:
        if ex.status_code == 429 or ex.status_code >= 500 or ex.code in RUN_ERRORS:
            raise
        logger.warning("Reconciliation of %s postponed to the next run: %s", module, ex, extra=SKIPPED)


def due(reconciled_at: Optional[str], every_hours: float, now: pendulum.DateTime) -> bool:
    """True when a module reconciled at `reconciled_at` (None: never) is due again."""
    if not reconciled_at or every_hours <= 0:
        return True
    return (now - pendulum.parse(reconciled_at)).total_seconds() >= every_hours * 3600


def compared_values(
    fields: Sequence[TFieldMeta], naming: Any, csv_name: Callable[[TFieldMeta], Optional[str]]
) -> List[Compared]:
    """The values of a module that change without `Modified_Time`, from its field metadata."""
    compared: List[Compared] = []
    for f in fields:
        name, data_type = str(f.get("api_name") or ""), f.get("data_type")
        if not name or f.get("virtual_field"):
            continue
        if data_type in VOLATILE_TYPES:
            details = (f.get("formula") if data_type == "formula" else f.get("rollup_summary")) or {}
            kind = _kind(str(details.get("return_type") or "text"))
            compared.append(Compared(name, kind, naming.normalize_identifier(name), name))
        elif data_type in NAMED_LOOKUP_TYPES:
            column = naming.normalize_path(naming.make_path(name, "name"))
            compared.append(Compared(name, "name", column, csv_name(f) or ""))
    return compared


def canonical(value: Any, kind: str) -> Optional[str]:
    """One text for a value however it arrived: Zoho's JSON, a Bulk Read CSV cell, or the destination's type."""
    if isinstance(value, dict):
        value = value.get("name")
    if value is None or value == "":
        return None
    if kind == "number":
        try:
            return format(Decimal(str(value)).normalize(), "f")
        except InvalidOperation:
            return str(value)
    if kind == "boolean":
        return "true" if value is True or str(value).lower() == "true" else "false"
    if kind == "date":
        return (value.isoformat() if isinstance(value, date) else str(value))[:10]
    if kind == "datetime":
        return _utc(value).isoformat()
    return str(value)


class _Job:
    """One module's reconciliation in one run."""

    def __init__(
        self,
        context: RunContext,
        module: str,
        table: str,
        ids_per_request: int,
        bulk_threshold: int,
        pipeline: dlt.Pipeline,
        started: pendulum.DateTime,
    ) -> None:
        self.context, self.module, self.table, self.pipeline, self.started = context, module, table, pipeline, started
        self.ids_per_request, self.bulk_threshold = ids_per_request, bulk_threshold
        self.cursor = context.listing_starts.get(module) or _listing_cursor(table)

    def items(self, done: List[bool]) -> Iterator[List[TDataItem]]:
        """Compare, fetch again, yield records, then the deletions and the report (`done` once all is yielded)."""
        ledger = self.context.ledger
        with ledger.tagged(RECONCILE):
            findings = self._compare()
        if findings is None:
            return  # the credit budget cannot pay it: a later run reconciles (the ledger noted the stop)
        wanted = findings.refresh + findings.add
        still_live = set()
        for records in self._fetched(list(findings.missing)):  # a listing can miss a record: ask for each
            still_live.update(str(r["id"]) for r in records)
            yield [{"id": r["id"], RECORD: r} for r in records]
        for records in self._fetched(wanted):
            yield [{"id": r["id"], RECORD: r} for r in records]
        gone = [rid for rid in findings.missing if rid not in still_live]
        if gone:
            yield [{"id": rid, GHOST: self._log_row(rid, findings.missing[rid])} for rid in gone]
        figures = {
            "module": self.module,
            "reconciled_at": self.started,
            "reader": findings.reader,
            "checked": findings.checked + len(still_live),
            "refreshed": len(findings.refresh),
            "added": len(findings.add),
            "removed": len(gone),
            "credits": ledger.credits_for(self.module, RECONCILE),
        }
        ledger.record_reconciliation(self.module, figures)
        yield [{"id": self.module, REPORT: figures}]
        done.append(True)

    def _compare(self) -> Optional[Findings]:
        """List Zoho's side, stream the mirror's, and decide; None when the budget cannot pay the listing."""
        ledger, metadata = self.context.ledger, self.context.metadata
        if not metadata.has_fields(self.module) and not ledger.reserve(METADATA_RESERVE, self.module):
            return None
        naming = dlt.current.source_schema().naming
        with self.context.destination_lock:
            mirror_rows = mirror_read.row_count(self.pipeline, self.table)
        findings = Findings(reader="bulk" if 0 < self.bulk_threshold < mirror_rows else "rest")
        # the CSV's name columns may need the lookup targets' metadata: only asked for when Bulk Read reads
        csv_name = (lambda f: name_column(metadata, f)) if findings.reader == "bulk" else (lambda f: None)
        compared = compared_values(metadata.fields(self.module), naming, csv_name)
        live = None
        if findings.reader == "bulk":
            compared = [c for c in compared if c.csv_column]  # a name the CSV cannot carry is not compared
            live = self._bulk(_chunked(compared))
        if live is None:
            findings.reader = "rest"
            live = self._rest(_chunked(compared), mirror_rows)
        if live is None:
            return None
        chunks = _chunked(compared)
        findings.checked = len(live)
        cursor = int(self.cursor.timestamp()) if self.cursor else None
        columns = ["id", naming.normalize_identifier(CURSOR_FIELD), *(c.column for c in compared)]
        with self.context.destination_lock:  # dlt's pool threads share one set of config contexts: one at a time
            known_deleted = mirror_read.deleted_ids(self.pipeline, self.module)
            for batch in mirror_read.table_batches(self.pipeline, self.table, columns):
                for row in batch:
                    rid, modified = str(row["id"]), row.get(columns[1])
                    zoho = live.pop(int(rid), None)
                    if zoho is None:
                        if rid not in known_deleted:
                            findings.missing[rid] = modified
                    elif cursor is not None and zoho[0] > cursor:
                        continue  # modified since the listing's cursor: the incremental part fetches it
                    elif (_epoch(modified), _fingerprint(chunks, row, "column")) != zoho:
                        findings.refresh.append(rid)
        findings.add = [str(rid) for rid, (modified, _) in live.items() if cursor is None or modified <= cursor]
        calls = math.ceil(len(findings.missing) / self.ids_per_request)
        calls += math.ceil((len(findings.refresh) + len(findings.add)) / self.ids_per_request)
        return findings if ledger.reserve(calls, self.module) else None

    def _rest(self, chunks: List[List[Compared]], mirror_rows: int) -> Optional[TLive]:
        """Every live record by Get Records with `fields`, a listing per chunk of at most 48 values (reserved up
        front from the mirror's size; a record edited between two chunks keeps its newest Modified_Time)."""
        reserved = len(chunks) * (math.ceil(mirror_rows / PER_PAGE) + 1)
        if not self.context.ledger.reserve(reserved, self.module):
            return None
        parts: Dict[int, List[int]] = {}
        for chunk in chunks:
            names = ",".join(dict.fromkeys(["id", CURSOR_FIELD, *(c.api_name for c in chunk)]))
            for _, modified, row in ListedRows(self.context, self.module, names, None, page_credits=0):
                entry = parts.setdefault(int(row["id"]), [0])
                entry[0] = max(entry[0], _epoch(modified))
                entry.append(_chunk_hash(chunk, row, "api_name"))
        self.context.ledger.release(reserved)  # what the calls did not consume
        return {rid: (entry[0], hash(tuple(entry[1:]))) for rid, entry in parts.items()}

    def _bulk(self, chunks: List[List[Compared]]) -> Optional[TLive]:
        """Every live record from one Bulk Read job with only the compared columns; None to fall back to REST."""
        compared = [c for chunk in chunks for c in chunk]
        columns = list(dict.fromkeys(["id", CURSOR_FIELD, *(c.csv_column for c in compared)]))
        journal, key = JobJournal(journal_path()), f"{self.module}#reconcile"
        live: TLive = {}
        try:
            for _, (header, rows) in export(self.context, self.module, columns, EPOCH, journal, journal_key=key):
                at = {name: i for i, name in enumerate(header)}
                id_at, modified_at = at["id"], at.get(CURSOR_FIELD)
                for row in rows:
                    cells = {c.api_name: row[at[c.csv_column]] if c.csv_column in at else None for c in compared}
                    modified = _epoch(row[modified_at]) if modified_at is not None else 0
                    live[int(row[id_at])] = (modified, _fingerprint(chunks, cells, "api_name"))
        except BulkReadFailed as ex:
            logger.warning("Bulk Read for reconciling %s failed (%s): listing it through the REST API", self.module, ex)
            return None
        journal.forget(key)
        return live

    def _fetched(self, ids: List[str]) -> Iterator[List[TDataItem]]:
        """The records of `ids` Zoho still has (`rest.fetch_records`), `ids_per_request` at a time, `max_concurrency`
        calls at once."""
        batches = [ids[i : i + self.ids_per_request] for i in range(0, len(ids), self.ids_per_request)]
        if not batches:
            return

        def fetch(batch: List[str]) -> List[TDataItem]:
            with self.context.ledger.tagged(RECONCILE):
                return full_records(self.context, self.module, batch)

        workers = max(1, min(self.context.max_concurrency, len(batches)))
        with ThreadPoolExecutor(workers, thread_name_prefix="zoho-reconcile") as pool:
            pending: List[Future] = []
            for batch in batches:
                pending.append(pool.submit(fetch, batch))
                if len(pending) >= 2 * workers:  # a bounded window: records are not all held at once
                    yield pending.pop(0).result()
            for future in pending:
                yield future.result()

    def _log_row(self, rid: str, last_modified: Any) -> TDataItem:
        deleted_at = _utc(last_modified) if last_modified else self.started
        return {"module": self.module, "id": rid, "type": RECONCILED_DELETION, DELETED_CURSOR: deleted_at}


def _kind(return_type: str) -> str:
    if return_type in NUMBER_TYPES:
        return "number"
    return return_type if return_type in ("boolean", "date", "datetime") else "text"


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return to_utc(str(value))


def _epoch(value: Any) -> int:
    return int(_utc(value).timestamp()) if value else 0


def _listing_cursor(table: str) -> Optional[datetime]:
    """The module's incremental cursor in the source state (its listing has not started yet in this run)."""
    resources = dlt.current.source_state().get("resources") or {}
    cursor = ((resources.get(f"{table}_ids") or {}).get("incremental") or {}).get(CURSOR_FIELD) or {}
    last = cursor.get("last_value")
    return _utc(last) if last else None


def _chunked(compared: List[Compared]) -> List[List[Compared]]:
    """The compared values in groups that fit one Get Records call beside `id` and `Modified_Time`."""
    size = MAX_FIELDS_PER_CALL - 2
    return [compared[i : i + size] for i in range(0, len(compared), size)] or [[]]


def _fingerprint(chunks: List[List[Compared]], row: Dict[str, Any], key: str) -> int:
    """A hash of the canonical values of `row` (keyed by each value's `key`: `api_name` or `column`), chunk by chunk
    as the REST side lists them."""
    return hash(tuple(_chunk_hash(chunk, row, key) for chunk in chunks))


def _chunk_hash(chunk: List[Compared], row: Dict[str, Any], key: str) -> int:
    return hash(tuple(canonical(row.get(getattr(c, key)), c.kind) for c in chunk))


def reconciled_records(items: List[TDataItem], context: RunContext, module: str) -> Any:
    """The records a reconciliation fetched again, shaped like every reader's (for the module table)."""
    records = [item[RECORD] for item in items if RECORD in item]
    return shape_records(context.metadata, module, records, context.keep_viewer_flags) if records else []


def ghost_tombstones(items: List[TDataItem], table: str, ledger: RunLedger) -> List[TDataItem]:
    """Rows that make dlt delete what Zoho no longer has from the module table (and its child rows)."""
    return tombstones([item for item in items if GHOST in item], table, ledger)


def ghost_log(items: List[TDataItem]) -> List[TDataItem]:
    """Deletion log rows (`type` "reconciliation") of what Zoho no longer has."""
    return [item[GHOST] for item in items if GHOST in item]


def report(items: List[TDataItem]) -> List[TDataItem]:
    """The reconciliation's row of `zoho_crm_reconciliations`."""
    return [item[REPORT] for item in items if REPORT in item]
