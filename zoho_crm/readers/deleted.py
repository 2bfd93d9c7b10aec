"""Deleted records: `GET /crm/v7/{module}/deleted?type=all`, incremental on deleted_time.

Each module's deletions feed two tables: the `zoho_crm_deleted_records` log (merged on module + id) and, with
`delete_mode = "hard"`, tombstones that remove the rows (and their child rows) from the module table through
dlt's `hard_delete` column hint.
"""

import logging
from typing import Iterator, List, Optional

import dlt
import pendulum
from dlt.common.typing import TDataItem

from ..api.ledger import BudgetedPages, RunLedger
from ..api.timestamps import if_modified_since, server_second, to_utc
from ..context import RunContext
from ..errors import ZohoApiError
from ..settings import DELETED_CURSOR, DELETED_FLAG, DELETED_RETENTION_DAYS, DELETED_TABLE, PER_PAGE
from .streams import in_extract_pool, unless_unreadable

logger = logging.getLogger(__name__)
USER_OBJECTS = ("deleted_by", "created_by")
LOG_COLUMNS = {
    **{
        name: {"name": name, "data_type": "text", "nullable": True}
        for name in ("display_name", "type", *(f"{u}__{k}" for u in USER_OBJECTS for k in ("id", "name")))
    },
    # one row per record: the latest deletion, so a /deleted entry beats the reconciliation's of the same run (whose
    # deleted_time is the last Modified_Time the mirror knew, before any deletion)
    DELETED_CURSOR: {"name": DELETED_CURSOR, "data_type": "timestamp", "nullable": True, "dedup_sort": "desc"},
}


def deleted_records(
    context: RunContext,
    module: str,
    deleted: dlt.sources.incremental[pendulum.DateTime] = dlt.sources.incremental(DELETED_CURSOR),
) -> Iterator[List[TDataItem]]:
    """Yield pages of `{module, id, display_name, type, deleted_time, deleted_by, created_by}` since the cursor."""
    state = dlt.current.resource_state()
    warn_if_deletions_may_be_lost(module, state.get("last_sync"))
    synced_at: List[pendulum.DateTime] = []
    pages = _deleted_pages(context, module, deleted.start_value, synced_at)
    yield from in_extract_pool(context, unless_unreadable(context, module, pages))
    # committed with the load package, so it records the last *successful* deletion sync
    state["last_sync"] = (synced_at[0] if synced_at else pendulum.now("UTC")).isoformat()


def _deleted_pages(
    context: RunContext, module: str, since: pendulum.DateTime, synced_at: List[pendulum.DateTime]
) -> Iterator[List[TDataItem]]:
    """The pages of deletions since `since`, all of them or none: Zoho does not document their order, so a list the
    credit budget cut short could move the cursor past deletions never read; the next run reads them again."""
    pages = BudgetedPages(
        context.ledger,
        module,
        "deleted",
        1,
        context.client.paginate(
            f"{module}/deleted",
            module=module,
            params={"type": "all", "per_page": PER_PAGE},
            headers=if_modified_since(since),
        ),
    )
    read: List[List[TDataItem]] = []
    try:
        for page in pages:
            if not synced_at and (second := server_second(page.response)):
                synced_at.append(second)
            read.append([log_row(module, row) for row in page])
    except ZohoApiError as ex:
        if ex.code != "DISCRETE_PAGINATION_LIMIT_EXCEEDED":
            raise
        # failing would fail every later run the same way; the next run starts after what was read
        logger.warning(
            "More deletions of %s since the last sync than Zoho pages through (%s): the oldest are missing from "
            "%s; reload the module with --full-refresh to drop rows deleted in Zoho",
            module,
            ex.details.get("limit", "2000"),
            DELETED_TABLE,
        )
    if not pages.stopped:
        yield from read


def log_row(module: str, row: TDataItem) -> TDataItem:
    """A deletion entry with its user objects flattened (they are null for permanent deletions)."""
    out = {k: v for k, v in row.items() if k not in USER_OBJECTS}
    for key in USER_OBJECTS:
        user = row.get(key) or {}
        out[f"{key}__id"], out[f"{key}__name"] = user.get("id"), user.get("name")
    return {**out, "module": module, DELETED_CURSOR: to_utc(row[DELETED_CURSOR])}


def tombstones(rows: List[TDataItem], table: str, ledger: RunLedger) -> List[TDataItem]:
    """Rows that make dlt delete the record and its child rows from the module table."""
    ledger.record_tombstones(table, len(rows))
    return [{"id": row["id"], DELETED_FLAG: True} for row in rows]


def deletion_log(rows: List[TDataItem]) -> List[TDataItem]:
    """The deletion entries themselves, for `zoho_crm_deleted_records`."""
    return rows


def warn_if_deletions_may_be_lost(module: str, last_sync: Optional[str]) -> None:
    """Zoho lists recycle-bin deletions for 60 days only: say so when the last sync is older than that."""
    if not last_sync:
        return
    age = pendulum.now("UTC") - pendulum.parse(last_sync)
    if age.in_days() >= DELETED_RETENTION_DAYS:
        logger.warning(
            "The last successful deletion sync of %s was %d days ago, but Zoho lists deleted records for %d days "
            "only: some deletions may be missing. Reload the module with --full-refresh to resync it.",
            module,
            age.in_days(),
            DELETED_RETENTION_DAYS,
        )
