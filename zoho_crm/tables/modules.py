"""The tables of one module: its records (merged on `id`), fed by a hidden id listing, and its deletions."""

from typing import Iterator, Optional

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
    # both resources that write the module table carry the hard_delete hint: dlt computes a table's schema from
    # whichever resource reaches it first in a run
    tombstone_column = {DELETED_FLAG: {"data_type": "bool", "hard_delete": True, "nullable": True}}
    columns = {CURSOR_FIELD: {"dedup_sort": "desc"}, **(tombstone_column if delete_mode == "hard" else {})}
    ids = dlt.resource(modified_record_ids, name=f"{table}_ids", selected=False, primary_key="id")(
        context,
        module,
        ids_per_request,
        bulk_threshold,
        # rows of the still-running second come without a cursor value: loaded, but not moving the cursor
        dlt.sources.incremental(CURSOR_FIELD, initial_value=start, on_cursor_value_missing="include"),
    )
    records = ids | dlt.transformer(
        records_by_ids,
        name=table,
        write_disposition="merge",
        primary_key="id",
        parallelized=True,
        columns=columns,
    )(context, module)
    context.ledger.track_metrics(module, records.custom_metrics)  # calls and credits in the trace
    yield records

    deletions = dlt.resource(deleted_records, name=f"{table}_deletions", selected=False, primary_key="id")(
        context, module, dlt.sources.incremental(DELETED_CURSOR, initial_value=start)
    )
    yield deletions | dlt.transformer(
        deletion_log,
        name=f"{table}_deleted_log",
        table_name=DELETED_TABLE,
        write_disposition="merge",
        primary_key=("module", "id"),
        columns=LOG_COLUMNS,
    )
    if delete_mode == "hard":
        yield deletions | dlt.transformer(
            tombstones,
            name=f"{table}_tombstones",
            table_name=table,
            write_disposition="merge",
            primary_key="id",
            columns=tombstone_column,
        )(table, context.ledger)
    if reconcile_every_hours is None:
        return
    found = dlt.resource(reconciliation, name=f"{table}_reconcile", selected=False)(
        context, module, table, reconcile_every_hours, ids_per_request, bulk_threshold
    )
    yield found | dlt.transformer(
        reconciled_records,
        name=f"{table}_reconciled",
        table_name=table,
        write_disposition="merge",
        primary_key="id",
        columns=columns,
    )(context, module)
    if delete_mode == "hard":
        yield found | dlt.transformer(
            ghost_tombstones,
            name=f"{table}_reconciled_tombstones",
            table_name=table,
            write_disposition="merge",
            primary_key="id",
            columns=tombstone_column,
        )(table, context.ledger)
    yield found | dlt.transformer(
        ghost_log,
        name=f"{table}_reconciled_log",
        table_name=DELETED_TABLE,
        write_disposition="merge",
        primary_key=("module", "id"),
        columns=LOG_COLUMNS,
    )
    yield found | dlt.transformer(
        report,
        name=f"{table}_reconciliation_report",
        table_name=RECONCILIATIONS_TABLE,
        write_disposition="merge",
        primary_key=("module", "reconciled_at"),
        columns=REPORT_COLUMNS,
    )
