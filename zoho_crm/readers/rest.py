"""The REST reader: list the ids modified since the cursor (`If-Modified-Since`), then fetch their records by ids.

`rest_batches` is the listing behind each module's incremental id resource (`listing.py`); `records_by_ids` is
the parallel transformer making one `?ids=` call per batch (or passing on records Bulk Read already converted).
"""

import logging
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from dlt.common.typing import TDataItem

from ..api.ledger import BudgetedPages
from ..api.timestamps import EPOCH, ONE_SECOND, if_modified_since, server_second, to_utc
from ..context import RunContext
from ..errors import ZohoApiError
from ..records.shape import shape_records
from ..settings import (
    COMMON_LIST_PARAMS,
    CURSOR_FIELD,
    EXTRA_LIST_PARAMS,
    LIST_FIELDS,
    MAX_FIELDS_PER_CALL,
    PER_PAGE,
    RESTART_LISTING_CODES,
)
from .bulk import BULK_RECORD

logger = logging.getLogger(__name__)


def module_params(context: RunContext, module: str) -> Dict[str, str]:
    """Parameters that keep Zoho from hiding records of `module` (converted Leads, unapproved records)."""
    params = {**COMMON_LIST_PARAMS, **EXTRA_LIST_PARAMS.get(module, {})}
    return {k: v for k, v in params.items() if not context.quirks.param_refused(k)}


def rejected_optional_param(context: RunContext, ex: ZohoApiError) -> bool:
    """Remember an optional parameter this Zoho refuses (`approved` is v2.1/v8 only); True to retry without it."""
    name = ex.details.get("param_name") or ex.details.get("api_name")
    if ex.status_code != 400 or name not in COMMON_LIST_PARAMS:
        return False
    context.quirks.refuse_param(str(name))  # another thread may have noticed first: retry all the same
    return True


class ListedRows:
    """The rows of a module's Get Records listing, oldest first (`sort_by=Modified_Time`), as `(server second of
    the page, Modified_Time as UTC, row)`.

    Each page is paid for before it is requested (`page_credits`: its call and what the caller commits to for its
    rows); when the run's credit budget cannot pay the next page the listing ends there and `stopped` is set.
    Page-token chains that Zoho cuts (100,000 records, expired token) are restarted from the last Modified_Time
    seen (a new `If-Modified-Since` is a new parameter set, hence a fresh chain), without repeating a row.

    Args:
        context: The run's context.
        module: The module's API name.
        fields: The `fields` parameter (at most 50 API names, `id` and `Modified_Time` among them).
        since: List records modified since then (`If-Modified-Since`, a second early); None for every record.
        page_credits: Credits each page reserves.
    """

    def __init__(
        self, context: RunContext, module: str, fields: str, since: Optional[datetime], page_credits: int = 1
    ) -> None:
        self.context, self.module, self.fields, self.since, self.page_credits = (
            context,
            module,
            fields,
            since,
            page_credits,
        )
        self.stopped = False

    def __iter__(self) -> Iterator[Tuple[Optional[datetime], datetime, TDataItem]]:
        params = {"fields": self.fields, "per_page": PER_PAGE, "sort_by": CURSOR_FIELD, "sort_order": "asc"}
        since = self.since or EPOCH
        last_seen: Optional[datetime] = None
        ids_at_last_seen: Set[str] = set()
        resume: Optional[Tuple[datetime, Set[str]]] = None  # set when a cut chain is restarted
        while True:
            query = {**params, **module_params(self.context, self.module)}
            try:
                listing = self.context.client.paginate(self.module, self.module, query, if_modified_since(since))
                pages = BudgetedPages(self.context.ledger, self.module, "list", self.page_credits, listing)
                for page in pages:
                    page_second = server_second(page.response)
                    for row in page:
                        ts = to_utc(row[CURSOR_FIELD])
                        if resume and (ts < resume[0] or (ts == resume[0] and row["id"] in resume[1])):
                            continue  # yielded before the chain was restarted
                        if last_seen is None or ts > last_seen:
                            last_seen, ids_at_last_seen = ts, set()
                        if ts == last_seen:
                            ids_at_last_seen.add(row["id"])
                        yield page_second, ts, row
                self.stopped = pages.stopped
                return
            except ZohoApiError as ex:
                if rejected_optional_param(self.context, ex):
                    continue
                if ex.code not in RESTART_LISTING_CODES or last_seen is None or last_seen <= since:
                    raise
                since, resume = last_seen, (last_seen, set(ids_at_last_seen))


def rest_batches(
    context: RunContext, module: str, ids_per_request: int, since: datetime, reserve_details: bool = True
) -> Iterator[List[TDataItem]]:
    """Batches of `{id, Modified_Time}` rows of records modified since `since`, oldest first (`ListedRows`).

    `If-Modified-Since` is the cursor minus an overlap (Zoho's boundary inclusivity is undocumented); dlt's
    boundary dedup drops ids already loaded at the cursor. Rows in the second that was still running when the
    listing started (Zoho's `Date` header) are loaded but yielded without their cursor value, so they neither
    move the cursor nor enter the dedup state: a record edited again within that second keeps its
    Modified_Time, and only this way does the next run fetch it again.

    Each page first reserves its credits (the list call and, with `reserve_details`, the detail calls of its ids):
    when the run's credit budget cannot pay them the listing ends there, with everything listed so far fetched.
    """
    page_credits = 1 + (-(-PER_PAGE // ids_per_request) if reserve_details else 0)
    incomplete_from: Optional[datetime] = None
    batch: List[TDataItem] = []
    for page_second, ts, row in ListedRows(context, module, LIST_FIELDS, since, page_credits):
        incomplete_from = incomplete_from or page_second
        # a Modified_Time past Zoho's own clock is a clock mismatch, not a running second
        if incomplete_from and page_second and incomplete_from <= ts <= page_second + ONE_SECOND:
            batch.append({"id": row["id"]})  # the second is not over: load it, list it again next run
        else:
            batch.append({"id": row["id"], CURSOR_FIELD: ts})
        if len(batch) >= ids_per_request:
            yield batch
            batch = []
    if batch:
        yield batch


def records_by_ids(batch: List[TDataItem], context: RunContext, module: str) -> Any:
    """The full records (subforms and line items included) of one batch of listing rows: converted from Bulk Read
    CSV when the rows carry them, else fetched with one `?ids=` call."""
    with context.gate.stopping_the_run_on_failure():
        records = [row[BULK_RECORD] for row in batch if BULK_RECORD in row]
        ids = [row["id"] for row in batch if BULK_RECORD not in row]
        if ids:
            records.extend(full_records(context, module, ids))
        return shape_records(context.metadata, module, records, context.keep_viewer_flags)


def full_records(context: RunContext, module: str, ids: List[str]) -> List[TDataItem]:
    """The records of `ids` as Zoho has them now, subforms and line items included (ids Zoho no longer has are
    left out)."""
    detail_only = context.metadata.hints(module).detail_only
    return with_detail_only_fields(context, module, detail_only, fetch_records(context, module, ids))


def with_detail_only_fields(
    context: RunContext, module: str, detail_only: Set[str], records: List[TDataItem]
) -> List[TDataItem]:
    """Make sure subforms, line items and multi-select lookups are there.

    Zoho documents them only for single-record fetches; whether `?ids=` counts as one is unconfirmed. When an
    `?ids=` answer lacks every such field, this module's records are fetched one by one (1 credit each).
    """
    if not detail_only or not records:
        return records
    if not context.quirks.reads_one_by_one(module):
        if any(name in record for record in records for name in detail_only):
            return records
        if context.quirks.read_one_by_one(module):  # the first thread to notice warns
            logger.warning(
                "Zoho's ?ids= answer for %s lacks %s: fetching its records one by one (1 API credit each)",
                module,
                ", ".join(sorted(detail_only)),
            )
    get = context.client.get_data
    return [r for record in records for r in get(f"{module}/{record['id']}", module=module)]


def fetch_records(context: RunContext, module: str, ids: List[str]) -> List[TDataItem]:
    """`GET /{module}?ids=…`; halves the batch when Zoho says it holds too many ids.

    Zoho documents `fields` as mandatory only when listing; should it demand `fields` with `ids` too, the
    records are read in chunks of at most 50 fields and joined on `id`. Ids of records Zoho no longer has
    (deleted since they were listed) are left out of its answer; should Zoho refuse them instead (400
    INVALID_DATA about `ids`), the batch is halved until the refused id is asked alone, and left out.
    """
    params: Dict[str, Any] = {"ids": ",".join(ids), **module_params(context, module)}
    try:
        return context.client.get_data(module, module=module, params=params)
    except ZohoApiError as ex:
        if rejected_optional_param(context, ex):
            return fetch_records(context, module, ids)
        if ex.code == "REQUIRED_PARAM_MISSING" and ex.details.get("param_name") == "fields":
            return _fetch_in_field_chunks(context, module, params)
        refused_id = ex.code == "INVALID_DATA" and "ids" in (ex.details.get("api_name"), ex.details.get("param_name"))
        if refused_id and len(ids) == 1:
            return []  # Zoho has no such record (any more)
        if (ex.code != "LIMIT_EXCEEDED" and not refused_id) or len(ids) < 2:
            raise
    half = len(ids) // 2
    return fetch_records(context, module, ids[:half]) + fetch_records(context, module, ids[half:])


def _fetch_in_field_chunks(context: RunContext, module: str, params: Dict[str, Any]) -> List[TDataItem]:
    names = [n for n in context.metadata.field_names(module) if n != "id"]
    step = MAX_FIELDS_PER_CALL - 1
    merged: Dict[str, TDataItem] = {}
    for start in range(0, len(names), step):
        fields = ",".join(["id", *names[start : start + step]])
        chunk = context.client.get_data(module, module=module, params={**params, "fields": fields})
        for record in chunk:
            merged.setdefault(record["id"], {}).update(record)
    return list(merged.values())
