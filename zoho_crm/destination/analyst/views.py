"""Analyst views over the mirror, created or replaced in the pipeline's dataset after each load.

`create_views` builds each view from the tables and columns the destination has (information_schema), so a
`--modules` subset, a Bulk Read load or a field never filled does not break it, and writes SQL that runs unchanged
on DuckDB and Postgres. The data is loaded before this runs: nothing here may fail the run, so a view that cannot be
created is logged as a warning. docs/analyst-views.md documents every column.
"""

import logging
from typing import Any, Callable, Dict, List, Optional, Tuple

import dlt

from .activities import V_ACTIVITIES, V_STAGE_DURATIONS, activities_view, stage_durations_view
from .catalog import Catalog
from .deals import V_DEALS, V_PIPELINE_STAGES, deals_view, pipeline_stages_view

logger = logging.getLogger(__name__)

POSTGRES = "dlt.destinations.postgres"
# Destinations whose SQL the views are written and tested for (DuckDB's dialect; Postgres's)
SQL_DESTINATIONS = frozenset({"dlt.destinations.duckdb", "dlt.destinations.motherduck", POSTGRES})
VIEWS: Tuple[Tuple[str, Callable[[Catalog], Optional[str]]], ...] = (
    (V_PIPELINE_STAGES, pipeline_stages_view),
    (V_DEALS, deals_view),
    (V_ACTIVITIES, activities_view),
    (V_STAGE_DURATIONS, stage_durations_view),
)
VIEW_NAMES: Tuple[str, ...] = tuple(name for name, _ in VIEWS)
COLUMNS_SQL = (
    "SELECT table_name, column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = %s ORDER BY table_name, ordinal_position"
)


def create_views(pipeline: dlt.Pipeline) -> List[str]:
    """Create or replace the analyst views in the pipeline's dataset after a load; return the names created.

    No-op (returns []) on destinations without SQL (filesystem etc.) and on SQL destinations other than DuckDB,
    MotherDuck and Postgres. A view whose source tables are missing (e.g. a run that loaded only `--modules Leads`)
    is skipped, not an error; a failure creating a view is logged as a warning and does not fail the run.

    Args:
        pipeline: A pipeline that has loaded the `zoho_crm_*` tables.

    Returns:
        The names of the views created or replaced, in creation order.
    """
    if not _supported(pipeline):
        return []
    created: List[str] = []
    try:
        with pipeline.sql_client() as client:
            catalog = _catalog(client)
            for name, build in VIEWS:
                select = build(catalog)
                if select is None:
                    logger.debug("Analyst view %s skipped: the dataset lacks its tables", name)
                elif _create(client, name, select):
                    created.append(name)
    except Exception as ex:  # the data is loaded: views are a convenience on top of it
        logger.warning("Analyst views not created: %s", _first_line(ex))
    return created


def drop_views(pipeline: dlt.Pipeline) -> List[str]:
    """Drop the analyst views; return the names of those that existed (a no-op where `create_views` is).

    Postgres refuses to drop a table a view reads, so a run that drops tables (a full refresh, a module reset)
    calls this first; the views come back with `create_views` after its load. Failures are logged, not raised.
    """
    if not _supported(pipeline):
        return []
    dropped: List[str] = []
    try:
        with pipeline.sql_client() as client:
            existing = {table for table in _columns(client)}
            for name in VIEW_NAMES:
                if name in existing:
                    client.execute_sql(f"DROP VIEW IF EXISTS {client.make_qualified_table_name(name)}")
                    dropped.append(name)
    except Exception as ex:
        logger.warning("Analyst views not dropped: %s", _first_line(ex))
    return dropped


def _supported(pipeline: dlt.Pipeline) -> bool:
    """True for a pipeline with a destination the views are written for."""
    destination = pipeline.destination
    if destination is None:
        return False
    if destination.destination_type not in SQL_DESTINATIONS:
        logger.debug("No analyst views on %s", destination.destination_name)
        return False
    return True


def _columns(client: Any) -> Dict[str, Dict[str, str]]:
    """Table -> {column -> data type} of the client's dataset, in column order."""
    schema = client.capabilities.casefold_identifier(client.dataset_name)
    columns: Dict[str, Dict[str, str]] = {}
    for table, column, data_type in client.execute_sql(COLUMNS_SQL, schema) or []:
        columns.setdefault(str(table), {})[str(column)] = str(data_type)
    return columns


def _catalog(client: Any) -> Catalog:
    """The dataset's tables and columns, named as the client's destination names them."""
    return Catalog(_columns(client), client.make_qualified_table_name, client.escape_column_name)


def _create(client: Any, name: str, select: str) -> bool:
    """Create or replace one view; False (with a warning) when the destination refuses it.

    Postgres replaces a view in place only when its columns keep their names, order and types (so views built on
    it keep working); when they changed (a new field in the table) the view is dropped and created again, which
    fails, and is reported, only when another view depends on it."""
    qualified = client.make_qualified_table_name(name)
    try:
        client.execute_sql(f"CREATE OR REPLACE VIEW {qualified} AS\n{select}")
        return True
    except Exception as ex:
        error = ex
    if _is_postgres(client):
        try:
            with client.begin_transaction():
                client.execute_sql(f"DROP VIEW IF EXISTS {qualified}")
                client.execute_sql(f"CREATE VIEW {qualified} AS\n{select}")
            return True
        except Exception as ex:
            error = ex
    logger.warning("Analyst view %s not created: %s", name, _first_line(error))
    return False


def _is_postgres(client: Any) -> bool:
    """True for a Postgres connection (the only destination whose views may need dropping to be replaced)."""
    return type(client).__module__.startswith("dlt.destinations.impl.postgres")


def _first_line(ex: Exception) -> str:
    """The exception's type and the first line of its message."""
    text = str(ex).strip()
    return f"{type(ex).__name__}: {text.splitlines()[0]}" if text else type(ex).__name__
