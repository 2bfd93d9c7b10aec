"""Delta tables on the filesystem destination that mirror Zoho: updates merged, deletions applied, no orphans.

dlt 1.31 merges Delta tables with the `upsert` strategy, each table on its own: the root table on `id`, nested
(child) tables on their `_dlt_id`. Two things a mirror needs are left undone:

- it refuses the `hard_delete` hint on a root table that has nested tables, so records deleted in Zoho would stay;
- when a re-fetched record has fewer line items or subform rows than before, the extra child rows stay.

Both are fixed after the load, with one rule and no extra state. Before the run, `prepare_source` turns the
source's `hard_delete` hint into a plain column, so a deletion (a tombstone row `{id, _zoho_deleted: true}`)
merges onto the record's row like any update. Every row that a load writes carries its `_dlt_load_id`, and a
record's child rows are rewritten with it whenever the record is, so after the load `apply_deletions`:

1. deletes the child rows whose root row was written by this run but that were not (`_dlt_load_id` differs):
   rows dropped from a record's line items, and all child rows of a deleted record;
2. deletes the root rows flagged as deleted.

Deletions merge with the same mechanism in both delete modes; with `delete_mode = "keep"` the source sends no
tombstones, so only step 1 runs. Both steps go through the `deltalake` package (dlt's own `load_open_table`).
"""

import logging
from typing import Any, List, Sequence

import dlt
from dlt.common.normalizers.json.relational import DataItemNormalizer as RelationalNormalizer
from dlt.common.schema.utils import get_nested_tables, is_nested_table
from dlt.extract import DltSource

from ..settings import DELETED_FLAG, TABLE_PREFIX

logger = logging.getLogger(__name__)
TABLE_FORMAT = "delta"


def prepare_source(source: DltSource) -> DltSource:
    """Keep deletions as flagged rows, and stamp child rows with the load that wrote them.

    Drops the `hard_delete` hint that dlt refuses on Delta tables with child tables, and has dlt's normalizer
    copy the root row's `_dlt_load_id` into its child rows (dlt writes it to root tables only).

    Args:
        source: The Zoho CRM source, before it runs.

    Returns:
        The same source, its resources' `hard_delete` columns now plain boolean columns.
    """
    RelationalNormalizer.update_normalizer_config(
        source.schema, {"propagation": {"root": {"_dlt_load_id": "_dlt_load_id"}}}  # type: ignore[dict-item]
    )
    for resource in source.resources.values():
        columns = resource.columns
        if not isinstance(columns, dict):
            continue
        flags = [name for name, column in columns.items() if column.get("hard_delete")]
        if flags:
            resource.apply_hints(columns={name: {**columns[name], "hard_delete": False} for name in flags})
    return source


def apply_deletions(pipeline: dlt.Pipeline, load_ids: Sequence[str], table_format: str = TABLE_FORMAT) -> None:
    """After a load into Delta tables: drop orphaned child rows, then the root rows flagged as deleted.

    Args:
        pipeline: The pipeline that just loaded into the filesystem destination with `table_format="delta"`.
        load_ids: The load packages of that run (`LoadInfo.loads_ids`).
        table_format: The table format the tables were written in; only "delta" is supported.
    """
    if table_format != TABLE_FORMAT or not load_ids:
        return
    schema = pipeline.default_schema
    flag = schema.naming.normalize_identifier(DELETED_FLAG)
    roots = [
        t["name"]
        for t in schema.data_tables()
        if t["name"].startswith(TABLE_PREFIX) and not is_nested_table(t) and t.get("write_disposition") == "merge"
    ]
    with pipeline.destination_client() as client:
        for root in roots:
            nested = [t["name"] for t in get_nested_tables(schema.tables, root, include_self=False)]
            has_flag = flag in schema.get_table_columns(root)
            if not nested and not has_flag:
                continue
            root_table = _open(client, root)
            if root_table is None:
                continue
            written = _written_roots(root_table, load_ids)
            if written.num_rows:
                for child in nested:
                    _delete_orphans(_open(client, child), written)
            if has_flag:  # all flagged rows, so a run that stopped before this step is caught up
                _delete_flagged(root_table, flag)


def _open(client: Any, table: str) -> Any:
    """The Delta table, or None when this run never created it (e.g. a child table with no rows yet)."""
    if not client.is_open_table(TABLE_FORMAT, table):
        return None
    try:
        return client.load_open_table(TABLE_FORMAT, table)
    except Exception:  # dlt raises DestinationUndefinedEntity for a table folder without a Delta log
        return None


def _read(table: Any, columns: List[str]) -> Any:
    """Those columns of a Delta table as a pyarrow table of plain strings (absent columns: all null)."""
    import pyarrow as pa

    present = set(table.schema().to_arrow().names)
    data = table.to_pyarrow_dataset().to_table(columns=[c for c in columns if c in present])
    return pa.table(
        {
            c: data[c].cast(pa.string()) if c in present else pa.nulls(data.num_rows, pa.string())
            for c in columns
        }
    )


def _written_roots(root_table: Any, load_ids: Sequence[str]) -> Any:
    """`_dlt_id` and `_dlt_load_id` of the root rows written by these loads."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = _read(root_table, ["_dlt_id", "_dlt_load_id"])
    return rows.filter(pc.is_in(rows["_dlt_load_id"], value_set=pa.array(list(load_ids), pa.string())))


def _delete_orphans(child_table: Any, written: Any) -> None:
    """Delete child rows of the written roots that these loads did not write (their load id differs)."""
    import pyarrow.compute as pc

    if child_table is None:
        return
    rows = _read(child_table, ["_dlt_id", "_dlt_root_id", "_dlt_load_id"])
    roots = written.rename_columns(["_dlt_root_id", "_root_load_id"])
    joined = rows.join(roots, keys="_dlt_root_id", join_type="inner")
    stale = pc.or_kleene(
        pc.is_null(joined["_dlt_load_id"]), pc.not_equal(joined["_dlt_load_id"], joined["_root_load_id"])
    )
    orphans = joined.filter(stale).select(["_dlt_id"])
    if orphans.num_rows:
        merge = child_table.merge(source=orphans, predicate="t._dlt_id = s._dlt_id", source_alias="s", target_alias="t")
        merge.when_matched_delete().execute()
        logger.info("deleted %d orphaned rows from %s", orphans.num_rows, child_table.table_uri)


def _delete_flagged(root_table: Any, flag: str) -> None:
    if flag in root_table.schema().to_arrow().names:
        root_table.delete(f"{flag} = true")
