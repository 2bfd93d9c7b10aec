"""The tables of one module: its records (merged on `id`), fed by a hidden id listing, and its deletions."""

from typing import Any, Callable, Iterator, Optional, Tuple, Union

import dlt
import pendulum
from dlt.sources import DltResource

from ..context import RunContext
from ..readers.deleted import LOG_COLUMNS, deleted_records, deletion_log, tombstones
from ..readers.listing import modified_record_ids
from ..readers.reconcile import REPORT_COLUMNS, ghost_log, ghost_tombstones, reconciled_records, reconciliation, report
from ..readers.rest import records_by_ids
from ..settings import (
    CURSOR_FIELD,
    DELETED_CURSOR,
    DELETED_FLAG,
    DELETED_TABLE,
    RECONCILIATIONS_TABLE,
    TABLE_PREFIX,
)


def table_name(module: str) -> str:
    """`zoho_crm_<module api name in lower case>` (Price_Books -> zoho_crm_price_books, as in the seed)."""
    return TABLE_PREFIX + module.lower()


def module_resources(
    context: RunContext,
    module: str,
    start: pendulum.DateTime,
    ids_per_request: int,
    delete_mode: str,
    bulk_threshold: int,
    reconcile_every_hours: Optional[float] = None,
) -> Iterator[DltResource]:
    """The records resource of one module, its deletion log (plus tombstones in hard mode), and its reconciliation
    (unless `reconcile_every_hours` is None: never)."""
    table = table_name(module)
    hard = delete_mode == "hard"
    # every resource that writes the module table carries the hard_delete hint: dlt computes a table's schema from
    # whichever resource reaches it first in a run
    tombstone_column = {DELETED_FLAG: {"data_type": "bool", "hard_delete": True, "nullable": True}}
    columns = {CURSOR_FIELD: {"dedup_sort": "desc"}, **(tombstone_column if hard else {})}
    ids = dlt.resource(modified_record_ids, name=f"{table}_ids", selected=False, primary_key="id")(
        context,
        module,
        ids_per_request,
        bulk_threshold,
        # rows of the still-running second come without a cursor value: loaded, but not moving the cursor
        dlt.sources.incremental(CURSOR_FIELD, initial_value=start, on_cursor_value_missing="include"),
    )
    records = _merged(ids, records_by_ids, table, table, columns, parallelized=True)(context, module)
    context.ledger.track_metrics(module, records.custom_metrics)  # calls and credits in the trace
    yield records

    deletions = dlt.resource(deleted_records, name=f"{table}_deletions", selected=False, primary_key="id")(
        context, module, dlt.sources.incremental(DELETED_CURSOR, initial_value=start)
    )
    yield _merged(deletions, deletion_log, f"{table}_deleted_log", DELETED_TABLE, LOG_COLUMNS, LOG_KEY)
    if hard:
        yield _merged(deletions, tombstones, f"{table}_tombstones", table, tombstone_column)(table, context.ledger)
    if reconcile_every_hours is None:
        return
    found = dlt.resource(reconciliation, name=f"{table}_reconcile", selected=False)(
        context, module, table, reconcile_every_hours, ids_per_request, bulk_threshold
    )
    yield _merged(found, reconciled_records, f"{table}_reconciled", table, columns)(context, module)
    if hard:
        yield _merged(found, ghost_tombstones, f"{table}_reconciled_tombstones", table, tombstone_column)(
            table, context.ledger
        )
    yield _merged(found, ghost_log, f"{table}_reconciled_log", DELETED_TABLE, LOG_COLUMNS, LOG_KEY)
    yield _merged(
        found, report, f"{table}_reconciliation_report", RECONCILIATIONS_TABLE, REPORT_COLUMNS, REPORT_KEY
    )


LOG_KEY = ("module", "id")
REPORT_KEY = ("module", "reconciled_at")


def _merged(
    parent: DltResource,
    transform: Callable[..., Any],
    name: str,
    table: str,
    columns: Any,
    primary_key: Union[str, Tuple[str, ...]] = "id",
    parallelized: bool = False,
) -> Any:
    """`parent` piped into a transformer that merges into `table` on `primary_key`."""
    transformer = dlt.transformer(
        transform,
        name=name,
        table_name=table,
        write_disposition="merge",
        primary_key=primary_key,
        columns=columns,
        parallelized=parallelized,
    )
    return parent | transformer
