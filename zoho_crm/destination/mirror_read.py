"""The mirror as the destination holds it, read back through dlt: a few columns of a table, batch by batch.

SQL destinations (DuckDB, Postgres, BigQuery, …) are read through `pipeline.dataset()`; Delta tables on the
filesystem destination through the `deltalake` package (dlt's `load_open_table`), which needs no DuckDB extension.
Plain files on the filesystem destination are not a mirror (each load appends), so they are not read.
"""

from typing import Any, Dict, Iterator, List, Optional, Sequence, Set

import dlt
from dlt.common.schema.utils import has_table_seen_data

from ..settings import DELETED_FLAG, DELETED_TABLE

DELTA = "delta"
FILESYSTEM = "dlt.destinations.filesystem"
BATCH_ROWS = 50_000


def loaded(pipeline: dlt.Pipeline, table: str) -> bool:
    """True when earlier loads put rows into `table` (dlt's schema has seen data for it)."""
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    return bool(schema and table in schema.tables and has_table_seen_data(schema.tables[table]))


def readable(pipeline: dlt.Pipeline, table: str) -> bool:
    """True when the destination keeps `table` as a mirror: a SQL destination, or a Delta table."""
    if pipeline.destination is None:
        return False
    if pipeline.destination.destination_type != FILESYSTEM:
        return True
    return _table_format(pipeline, table) == DELTA


def row_count(pipeline: dlt.Pipeline, table: str) -> int:
    """Rows of `table` at the destination (0 when it has none)."""
    if not loaded(pipeline, table):
        return 0
    if _table_format(pipeline, table) == DELTA:
        return sum(len(batch) for batch in _delta_batches(pipeline, table, ["id"]))
    return int(pipeline.dataset()(f"SELECT count(*) FROM {table}").fetchone()[0])


def row_counts(pipeline: dlt.Pipeline, tables: Sequence[str]) -> Dict[str, int]:
    """Rows of each of `tables` at the destination (0 for a table it has none in): one query for a SQL
    destination, whose connection is the slow part."""
    counts = {table: 0 for table in tables}
    sql = [table for table in tables if loaded(pipeline, table) and _table_format(pipeline, table) != DELTA]
    for table in tables:
        if loaded(pipeline, table) and table not in sql:
            counts[table] = row_count(pipeline, table)
    if sql:
        union = " UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table}" for table in sql)
        counts.update({str(name): int(n) for name, n in pipeline.dataset()(union).fetchall()})
    return counts


def table_batches(
    pipeline: dlt.Pipeline, table: str, columns: Sequence[str], rows: int = BATCH_ROWS
) -> Iterator[List[Dict[str, Any]]]:
    """The rows of `table`, `rows` at a time, with those of `columns` the table has (the others are left out of
    each row); rows flagged as deleted (Delta, before the deletions of a load were applied) are left out."""
    if not loaded(pipeline, table):
        return
    present = set(pipeline.default_schema.get_table_columns(table))
    wanted = [c for c in dict.fromkeys([*columns, DELETED_FLAG]) if c in present]
    if _table_format(pipeline, table) == DELTA:
        batches: Iterator[List[Dict[str, Any]]] = _delta_batches(pipeline, table, wanted, rows)
    else:
        relation = pipeline.dataset()[table].select(*wanted)
        batches = (arrow.to_pylist() for arrow in relation.iter_arrow(chunk_size=rows))
    for batch in batches:
        yield [row for row in batch if not row.pop(DELETED_FLAG, None)]


def deleted_ids(pipeline: dlt.Pipeline, module: str) -> Set[str]:
    """Ids `zoho_crm_deleted_records` already holds for `module`."""
    ids: Set[str] = set()
    for batch in table_batches(pipeline, DELETED_TABLE, ["module", "id"]):
        ids.update(str(row["id"]) for row in batch if row.get("module") == module)
    return ids


def _table_format(pipeline: dlt.Pipeline, table: str) -> Optional[str]:
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    return (schema.tables.get(table) or {}).get("table_format") if schema else None


def _delta_batches(
    pipeline: dlt.Pipeline, table: str, columns: Sequence[str], rows: int = BATCH_ROWS
) -> Iterator[List[Dict[str, Any]]]:
    with pipeline.destination_client() as client:
        if not client.is_open_table(DELTA, table):
            return
        delta = client.load_open_table(DELTA, table)
        names = set(delta.schema().to_arrow().names)
        dataset = delta.to_pyarrow_dataset()
        for batch in dataset.to_batches(columns=[c for c in columns if c in names], batch_size=rows):
            yield batch.to_pylist()
