"""`zoho_crm_runs`: one row per run, loaded with the run's data, whose figures match what Zoho counted; and the data
dictionary `zoho_crm_fields`, whose labels are also the DuckDB column comments."""

import json
import os
import uuid

import pytest

from tests.e2e.helpers import configure_env, dataset_tables, load, query, run_cli
from zoho_emulator import ZohoEmulator

MODULES = ("--modules", "Leads,Deals,Contacts")


def runs() -> list:
    return query(
        "SELECT _dlt_id, status, rows, deleted, calls, credits, credits_by_kind, data_current_to "
        "FROM zoho_crm_runs ORDER BY started_at"
    )


def test_each_run_logs_one_row_whose_credits_and_rows_match_what_zoho_counted(
    monkeypatch: pytest.MonkeyPatch, make_emulator
) -> None:
    emu = make_emulator(multi_currency=True)
    emu.reset_stats()
    load(monkeypatch, emu, *MODULES)
    first_credits = emu.stats()["credits_total"]
    emu.advance(60)
    edited = emu.touch("Deals", n=4)
    emu.delete("Contacts", n=2)
    emu.advance(3)
    emu.reset_stats()
    load(monkeypatch, emu, *MODULES)
    second_credits = emu.stats()["credits_total"]

    logged = runs()
    assert len(logged) == 2
    (first_id, status, rows, _, _, credits, by_kind, current_to), second = logged
    assert status == "complete" and credits == first_credits and rows >= 3 * 12
    assert sum(json.loads(by_kind).values()) == first_credits
    assert second[5] == second_credits and second[3] == 2
    second_tables = dict(
        query(f"SELECT table_name, rows FROM zoho_crm_runs__tables WHERE _dlt_parent_id = '{second[0]}'")
    )
    assert second_tables["zoho_crm_deals"] == len(edited) and second[2] == sum(second_tables.values())
    assert current_to is not None and second[7] > current_to
    tables = dict(query(f"SELECT table_name, rows FROM zoho_crm_runs__tables WHERE _dlt_parent_id = '{first_id}'"))
    assert tables["zoho_crm_leads"] == query("SELECT count(*) FROM zoho_crm_leads")[0][0]
    readers = query(f"SELECT module, reader, credits FROM zoho_crm_runs__modules WHERE _dlt_parent_id = '{first_id}'")
    assert {m for m, _, _ in readers} >= {"Leads", "Deals", "Contacts"} and {r for _, r, _ in readers} <= {
        "rest",
        "users",
    }
    loads = query("SELECT l.status FROM zoho_crm_runs r JOIN _dlt_loads l ON l.load_id = r._dlt_load_id")
    assert len(loads) == 2 and all(status == 0 for (status,) in loads)


def test_a_failed_run_logs_nothing_and_the_next_run_logs_itself(monkeypatch: pytest.MonkeyPatch, emulator) -> None:
    load(monkeypatch, emulator, *MODULES)
    emulator.advance(60)
    emulator.touch("Leads", n=3)
    emulator.advance(3)
    emulator.config.rate_500, emulator.config.fault_kinds = 1.0, {"detail"}
    configure_env(monkeypatch, emulator, max_retry_seconds="0")
    assert run_cli(*MODULES).code == 1
    assert len(runs()) == 1

    emulator.config.rate_500 = 0.0
    load(monkeypatch, emulator, *MODULES)
    assert [r[2] for r in runs()][1] == 3


def test_the_data_dictionary_labels_columns_and_the_duckdb_comments_say_the_label(
    monkeypatch: pytest.MonkeyPatch, make_emulator
) -> None:
    emu: ZohoEmulator = make_emulator(multi_currency=True)
    load(monkeypatch, emu, "--modules", "Deals,Quotes")

    amount = query(
        "SELECT api_name, field_label, data_type, column_type, module, is_custom FROM zoho_crm_fields "
        "WHERE table_name = 'zoho_crm_deals' AND column_name = 'amount'"
    )
    assert amount == [("Amount", "Amount", "currency", "decimal", "Deals", False)]
    owner = query(
        "SELECT api_name, lookup_module FROM zoho_crm_fields WHERE table_name = 'zoho_crm_deals' "
        "AND column_name = 'owner__name'"
    )
    assert owner == [("Owner.name", "Users")]
    stage = query("SELECT picklist_values FROM zoho_crm_fields WHERE column_name = 'stage' AND module = 'Deals'")
    assert "Closed Won" in json.loads(stage[0][0])
    items = query(
        "SELECT module, parent_table FROM zoho_crm_fields WHERE table_name = 'zoho_crm_quotes__quoted_items' "
        "AND column_name = 'quantity'"
    )
    assert items == [("Quoted_Items", "zoho_crm_quotes")]
    comment = query(
        "SELECT comment FROM duckdb_columns() WHERE schema_name = 'zoho_crm_data' "
        "AND table_name = 'zoho_crm_deals' AND column_name = 'amount'"
    )
    assert comment == [("Amount",)]
    # every column the table has on the second run is described, and a quiet run rewrites nothing
    emu.advance(30)
    load(monkeypatch, emu, "--modules", "Deals,Quotes")
    columns = {
        c
        for (c,) in query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'zoho_crm_deals' AND table_schema = 'zoho_crm_data'"
        )
    }
    described = {c for (c,) in query("SELECT column_name FROM zoho_crm_fields WHERE table_name = 'zoho_crm_deals'")}
    assert columns == described
    before = query("SELECT count(DISTINCT _dlt_load_id) FROM zoho_crm_fields")
    emu.advance(30)
    load(monkeypatch, emu, "--modules", "Deals,Quotes")
    assert query("SELECT count(DISTINCT _dlt_load_id) FROM zoho_crm_fields") == before


@pytest.mark.skipif(not os.environ.get("ZOHO_TEST_POSTGRES"), reason="set ZOHO_TEST_POSTGRES (CI starts PostgreSQL)")
def test_postgres_columns_carry_the_zoho_field_labels_as_comments(monkeypatch: pytest.MonkeyPatch, emulator) -> None:
    import psycopg2

    dsn = os.environ["ZOHO_TEST_POSTGRES"]
    dataset = f"zoho_comments_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
    try:
        load(monkeypatch, emulator, "--modules", "Deals", "--destination", "postgres", "--dataset", dataset)
        with psycopg2.connect(dsn) as con, con.cursor() as cur:
            cur.execute(
                "SELECT col_description(c.oid, a.attnum) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
                "WHERE n.nspname = %s AND c.relname = 'zoho_crm_deals' AND a.attname = %s",
                (dataset, "amount"),
            )
            assert cur.fetchall() == [("Amount",)]
            cur.execute(f"SELECT count(*) FROM {dataset}.zoho_crm_runs")
            assert cur.fetchall() == [(1,)]
    finally:
        with psycopg2.connect(dsn) as con, con.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {dataset} CASCADE; DROP SCHEMA IF EXISTS {dataset}_staging CASCADE")


def test_the_run_log_keeps_the_sources_table_nesting(monkeypatch: pytest.MonkeyPatch, emulator) -> None:
    """The run log is a second source in the same package: its schema must not reset `max_table_nesting = 2`."""
    load(monkeypatch, emulator, "--modules", "Quotes")  # settings tables included: profiles and layouts nest deep
    tables = dataset_tables()
    assert "zoho_crm_layouts__sections__fields" in tables and "zoho_crm_quotes__quoted_items__line_tax" in tables
    assert [t for t in tables if t.count("__") > 2] == []
