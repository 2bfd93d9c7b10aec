"""The Bulk Read reader: a module's first load through Bulk Read jobs (50 credits per 200,000 records) instead of
REST listing and detail calls (15 credits per 1,000).

A job is created (`POST /crm/bulk/v7/read`), polled with backoff until COMPLETED, and its zipped CSV is streamed
to a temporary file and read row by row; past 200,000 records the next job continues with `page_token`. Rows
become the REST record shape (`csv_records.py`) or, for modules a CSV cannot carry, only ids for the REST detail
call. Both leave here as the listing's rows, so the incremental cursor, the detail transformer, hints, merge and
deletions do not know which reader produced a record.

The hand-over: the export is Zoho's snapshot when the job was created. Rows modified in that second or later
carry no cursor value (loaded, and listed again by the next run), so the cursor stops before the job started
and the next REST run lists everything created, edited or deleted since (with the usual one-second overlap).

Jobs are journaled in the pipeline's working directory, so a run killed mid-job downloads the same job again on
the next run (downloads cost no credits) instead of paying for a new one.
"""

import csv
import io
import json
import logging
import os
import threading
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import IO, Any, Dict, Iterator, List, Optional

import dlt
from dlt.common.typing import TDataItem

from ..api.client import ZohoClient
from ..api.timestamps import EPOCH, to_utc
from ..context import RunContext
from ..records.csv_records import CsvPlan
from ..settings import BULK_API_PATH, BULK_JOB_CREDITS, BULK_POLL_MAX_SECONDS, CURSOR_FIELD

logger = logging.getLogger(__name__)
BULK_RECORD = "_zoho_bulk_record"  # a listing row's key carrying the whole record converted from the CSV
JOURNAL_FILE = "zoho_crm_bulk_jobs.json"


def journal_path() -> Optional[str]:
    """The journal file in the working directory of the pipeline being run (None outside a pipeline: no resume)."""
    try:
        return os.path.join(dlt.current.pipeline().working_dir, JOURNAL_FILE)
    except Exception:  # no active pipeline (the source used on its own)
        return None


class BulkReadFailed(Exception):
    """A Bulk Read job failed or its result could not be read: the module falls back to the REST reader."""


@dataclass
class BulkJob:
    """One Bulk Read job (one page of at most 200,000 records) and Zoho's clock when it was created."""

    id: str
    created_time: str


@dataclass
class JournalEntry:
    """The jobs of one module's export, in page order, for the query they answer."""

    query: Dict[str, Any]
    jobs: List[BulkJob] = field(default_factory=list)


class JobJournal:
    """Bulk Read jobs by module in a JSON file, so a killed run's export is downloaded again, not paid again."""

    _lock = threading.Lock()  # one file for all modules, whose exports run in parallel threads

    def __init__(self, path: Optional[str]) -> None:
        self.path = path

    def entry(self, module: str, query: Dict[str, Any]) -> JournalEntry:
        """The journaled jobs of `module` for this query (none when the query changed)."""
        saved = self._read().get(module)
        if saved and saved.get("query") == query:
            return JournalEntry(query, [BulkJob(**job) for job in saved.get("jobs", [])])
        return JournalEntry(query)

    def save(self, module: str, entry: JournalEntry) -> None:
        """Record `module`'s jobs (written before any of them is read)."""
        self._update(module, {"query": entry.query, "jobs": [asdict(job) for job in entry.jobs]})

    def forget(self, module: str) -> None:
        """Drop `module`'s jobs once its export is extracted."""
        self._update(module, None)

    def _read(self) -> Dict[str, Any]:
        if not self.path or not os.path.exists(self.path):
            return {}
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _update(self, module: str, value: Optional[Dict[str, Any]]) -> None:
        if not self.path:
            return
        with self._lock:
            data = self._read()
            if value is None:
                data.pop(module, None)
            else:
                data[module] = value
            temporary = f"{self.path}.{threading.get_ident()}.tmp"
            with open(temporary, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(temporary, self.path)


def bulk_batches(
    context: RunContext,
    module: str,
    plan: Optional[CsvPlan],
    since: datetime,
    batch_size: int,
    journal: JobJournal,
) -> Iterator[List[TDataItem]]:
    """Listing rows of every record of `module` modified since `since`, from Bulk Read, in batches.

    With a `plan` each row carries the converted record (`BULK_RECORD`); without one only `id` (and the cursor),
    and the detail transformer fetches the record.
    """
    columns = plan.columns if plan else ["id", CURSOR_FIELD]
    batch: List[TDataItem] = []
    # without a plan every batch costs a detail call later: the budget must pay for a whole page before its rows
    # are read (a page only partly read would move the cursor past records never fetched)
    detail_batch = None if plan else batch_size
    for job, (header, rows) in export(context, module, columns, since, journal, detail_batch):
        started = to_utc(job.created_time)
        id_at, modified_at = header.index("id"), header.index(CURSOR_FIELD) if CURSOR_FIELD in header else None
        to_record = plan.reader(header) if plan is not None else None
        for row in rows:
            item: TDataItem = {"id": row[id_at]}
            modified = row[modified_at] if modified_at is not None else None
            if modified and to_utc(modified) < started:
                item[CURSOR_FIELD] = to_utc(modified)  # rows of the job's own second on are listed again next run
            if to_record is not None:
                item[BULK_RECORD] = to_record(row)
            batch.append(item)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch
    journal.forget(module)


def export(
    context: RunContext,
    module: str,
    columns: List[str],
    since: datetime,
    journal: JobJournal,
    detail_batch: Optional[int] = None,
    journal_key: Optional[str] = None,
) -> Iterator["tuple[BulkJob, tuple[List[str], Iterator[List[str]]]]"]:
    """Run (or resume) the export of `module`: per job page, the job and its CSV rows.

    With `detail_batch`, each page first reserves one credit per `detail_batch` of its records. The jobs are
    journaled under `journal_key` (default: the module), so exports of one module for different purposes do not
    take each other's jobs.
    """
    key = journal_key or module
    query: Dict[str, Any] = {"module": {"api_name": module}, "fields": columns}
    if since > EPOCH:
        # criteria take ISO-8601 without milliseconds; records modified in the cursor's second are included
        value = since.replace(microsecond=0).isoformat()
        query["criteria"] = {"field": {"api_name": CURSOR_FIELD}, "comparator": "greater_equal", "value": value}
    entry = journal.entry(key, query)
    page, page_token = 0, None
    while True:
        if page < len(entry.jobs):
            job = entry.jobs[page]
        else:
            if not context.ledger.reserve(BULK_JOB_CREDITS, module):
                raise BulkReadFailed(f"the credit budget cannot pay a Bulk Read job ({BULK_JOB_CREDITS} credits)")
            if page_token:
                context.ledger.note_bulk_page_token(page_token, module)
            job = create_job(context.client, module, {"page_token": page_token} if page_token else query)
            entry.jobs.append(job)
            journal.save(key, entry)
        result = wait_for(context, module, job)
        if detail_batch and not context.ledger.reserve(-(-int(result.get("count") or 0) // detail_batch), module):
            raise BulkReadFailed("the credit budget cannot pay the detail calls of the exported records")
        body = context.client.download(f"{context.api_base_url}{result['download_url']}", module=module)
        try:
            yield job, csv_rows(body)
        finally:
            body.close()
        if not result.get("more_records"):
            return
        page, page_token = page + 1, result.get("next_page_token")
        if not page_token:
            raise BulkReadFailed(f"Zoho said more records follow page {page} of {module} but sent no page_token")


def create_job(client: ZohoClient, module: str, query: Dict[str, Any]) -> BulkJob:
    """`POST /crm/bulk/v7/read` (50 credits) for a CSV of `query`."""
    answer = client.post_json(f"{client.api_base_url}{BULK_API_PATH}", {"query": query, "file_type": "csv"}, module)
    details = ((answer.get("data") or [{}])[0]).get("details") or {}
    if not details.get("id") or not details.get("created_time"):
        raise BulkReadFailed(f"Zoho did not create a Bulk Read job for {module}: {json.dumps(answer)[:200]}")
    return BulkJob(str(details["id"]), str(details["created_time"]))


def wait_for(context: RunContext, module: str, job: BulkJob) -> Dict[str, Any]:
    """Poll a job with backoff until it is COMPLETED; returns its `result`."""
    wait = context.gate.backoff_base
    while True:
        answer = context.client.get_json(f"{context.api_base_url}{BULK_API_PATH}/{job.id}", module=module)
        details = (answer.get("data") or [{}])[0]
        state = str(details.get("state") or "")
        if state == "COMPLETED":
            return dict(details.get("result") or {})
        if state not in ("ADDED", "QUEUED", "IN PROGRESS"):
            raise BulkReadFailed(f"Bulk Read job {job.id} of {module} ended in state {state or '?'}")
        context.gate.sleep(wait)
        wait = min(wait * 2, BULK_POLL_MAX_SECONDS)


def csv_rows(body: IO[bytes]) -> "tuple[List[str], Iterator[List[str]]]":
    """The header and the rows of the CSV inside a Bulk Read zip, read as a stream."""
    try:
        archive = zipfile.ZipFile(body)
    except zipfile.BadZipFile as ex:
        raise BulkReadFailed(f"the Bulk Read result is not a zip file ({ex})") from None
    name = next((n for n in archive.namelist() if n.lower().endswith(".csv")), None)
    if name is None:
        raise BulkReadFailed("the Bulk Read result holds no CSV file")
    rows = csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8-sig", newline=""))
    header = next(rows, [])
    if "id" not in header:
        raise BulkReadFailed(f"the Bulk Read CSV has no id column (columns: {', '.join(header[:5])}…)")
    return header, rows
