"""Column comments from the data dictionary: database browsers show each column's Zoho field label.

After a load that changed `zoho_crm_fields`, each changed row with a label becomes `COMMENT ON COLUMN` on DuckDB and
Postgres (the SQL destinations whose dialect this is tested on); other destinations keep the labels in
`zoho_crm_fields` only.
"""

import logging
from typing import List, Sequence

import dlt

from ..tables.dictionary import FIELDS_TABLE
from .mirror_read import loaded

logger = logging.getLogger(__name__)
COMMENTED_DESTINATIONS = frozenset(
    {"dlt.destinations.duckdb", "dlt.destinations.motherduck", "dlt.destinations.postgres"}
)


def comment_columns(pipeline: dlt.Pipeline, load_ids: Sequence[str]) -> int:
    """Comment the columns whose dictionary rows the loads `load_ids` wrote; returns how many.

    A failure is logged, not raised: the data is loaded, and the labels are in `zoho_crm_fields` anyway.
    """
    destination = pipeline.destination
    if not load_ids or destination is None or destination.destination_type not in COMMENTED_DESTINATIONS:
        return 0
    if not loaded(pipeline, FIELDS_TABLE):
        return 0
    try:
        with pipeline.sql_client() as client:
            rows = client.execute_sql(
                f"SELECT table_name, column_name, field_label FROM {client.make_qualified_table_name(FIELDS_TABLE)}"
                f" WHERE field_label IS NOT NULL AND _dlt_load_id IN ({', '.join(['%s'] * len(load_ids))})",
                *load_ids,
            )
            schema = pipeline.default_schema
            statements: List[str] = []
            for table, column, label in rows or []:
                if column not in (schema.tables.get(table) or {}).get("columns", {}):  # not loaded yet
                    continue
                target = f"{client.make_qualified_table_name(table)}.{client.escape_column_name(column)}"
                statements.append(f"COMMENT ON COLUMN {target} IS {_literal(label)};")
            if statements:
                client.execute_many(statements)
            return len(statements)
    except Exception as ex:  # the comments are a convenience: never fail a loaded run for them
        logger.warning("Column comments were not written (%s: %s)", type(ex).__name__, str(ex).splitlines()[0])
        return 0


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"
