"""The analyst views' SQL built from whatever columns a dataset has, run on an in-memory DuckDB."""

from datetime import datetime, timezone
from typing import Any, Dict, List

import duckdb
import pytest

from zoho_crm.destination.analyst.activities import activities_view, stage_durations_view
from zoho_crm.destination.analyst.catalog import Catalog
from zoho_crm.destination.analyst.deals import deals_view, pipeline_stages_view

SCHEMA = "ds"


def catalog_of(con: duckdb.DuckDBPyConnection) -> Catalog:
    """The Catalog create_views would build for schema `ds`."""
    columns: Dict[str, Dict[str, str]] = {}
    for table, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
        "ORDER BY table_name, ordinal_position",
        [SCHEMA],
    ).fetchall():
        columns.setdefault(table, {})[column] = data_type
    return Catalog(columns, lambda t: f'"{SCHEMA}"."{t}"', lambda c: f'"{c}"')


def rows_of(con: duckdb.DuckDBPyConnection, select: str) -> List[Dict[str, Any]]:
    cursor = con.execute(select)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"CREATE SCHEMA {SCHEMA}; SET TimeZone = 'UTC'")
    return con


def test_a_deals_table_with_few_columns_gives_every_view_column_with_nulls_for_the_missing(con) -> None:
    con.execute(
        f"CREATE TABLE {SCHEMA}.zoho_crm_deals (id VARCHAR, stage VARCHAR, budget DECIMAL(18, 2), "
        "won_at TIMESTAMPTZ, _editable BOOLEAN, is_won VARCHAR, _zoho_deleted BOOLEAN)"
    )
    con.execute(
        f"INSERT INTO {SCHEMA}.zoho_crm_deals VALUES ('1', 'Closed Won', 10.5, '2025-01-01 00:00:00+00', true, 'x', "
        "NULL), ('2', 'Closed-Lost to Competition', NULL, NULL, NULL, NULL, NULL), ('3', 'Gone', 1, NULL, NULL, "
        "NULL, true)"
    )
    rows = {r["id"]: r for r in rows_of(con, deals_view(catalog_of(con)) or "")}
    assert set(rows) == {"1", "2"}  # the tombstone is left out
    won, lost = rows["1"], rows["2"]
    assert (won["is_won"], won["is_closed"], lost["is_won"], lost["is_closed"]) == (True, True, False, True)
    assert won["amount"] is None and won["amount_home"] is None and won["home_currency"] is None
    assert won["budget_home"] == 10.5  # no exchange rate: the value itself
    assert "won_at_org" in won and won["won_at_org"] is None  # no org time zone known
    assert "_editable" not in won and "owner_name" in won and won["owner_name"] is None


def test_no_deals_table_no_history_no_pipelines_no_activities_give_no_views(con) -> None:
    con.execute(f"CREATE TABLE {SCHEMA}.zoho_crm_leads (id VARCHAR)")
    catalog = catalog_of(con)
    assert [deals_view(catalog), activities_view(catalog), stage_durations_view(catalog)] == [None, None, None]
    assert pipeline_stages_view(catalog) is None


def test_activities_from_tasks_alone_with_the_org_time_zone(con) -> None:
    con.execute(f"CREATE TABLE {SCHEMA}.zoho_crm_tasks (id VARCHAR, subject VARCHAR, due_date DATE, status VARCHAR)")
    con.execute(f"INSERT INTO {SCHEMA}.zoho_crm_tasks VALUES ('t1', 'Call back', '2025-03-10', 'Completed')")
    con.execute(f"CREATE TABLE {SCHEMA}.zoho_crm_org (time_zone VARCHAR, iso_code VARCHAR)")
    con.execute(f"INSERT INTO {SCHEMA}.zoho_crm_org VALUES ('Asia/Kolkata', 'INR')")
    (row,) = rows_of(con, activities_view(catalog_of(con)) or "")
    assert (row["activity_type"], row["subject"], row["status"]) == ("task", "Call back", "Completed")
    assert row["end_time"] is None and row["due_or_start_time_org"] == datetime(2025, 3, 10)
    # the due date's midnight in Kolkata (UTC+05:30) is 18:30 UTC the day before
    assert row["due_or_start_time"] == datetime(2025, 3, 9, 18, 30, tzinfo=timezone.utc)
