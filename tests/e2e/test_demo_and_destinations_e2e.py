"""The offline demo, and the same source loading into another destination (PostgreSQL)."""

import os
import uuid

import pendulum
import pytest

from tests.e2e.helpers import DemoRun, configure_env, query, run_cli
from zoho_crm import table_name


@pytest.mark.slow
def test_demo_runs_the_real_pipeline_against_the_emulator_and_prints_queries(demo_run: DemoRun) -> None:
    code, out, err = demo_run.code, demo_run.out, demo_run.err  # the session's one demo run
    assert code == 0, err
    assert "Zoho emulator running at http://127.0.0.1:" in out
    assert "API calls:" in out and "-- Open pipeline by stage" in out and "-- Won revenue by month" in out
    deals = query("SELECT count(*) FROM zoho_crm_deals", db=str(demo_run.duckdb))[0][0]
    assert deals > 100
    assert query("SELECT count(*) FROM zoho_crm_quotes__quoted_items", db=str(demo_run.duckdb))[0][0] > 0


@pytest.mark.skipif(not os.environ.get("ZOHO_TEST_POSTGRES"), reason="set ZOHO_TEST_POSTGRES (CI starts PostgreSQL)")
def test_same_source_loads_into_postgres_incrementally(make_emulator, monkeypatch) -> None:
    import psycopg2

    dsn = os.environ["ZOHO_TEST_POSTGRES"]
    dataset = f"zoho_test_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
    emu = make_emulator(default_records=5, records_per_module={"Quotes": 60})
    configure_env(monkeypatch, emu)
    try:
        code, _, err = run_cli("--destination", "postgres", "--dataset", dataset, "--modules", "Quotes,Users")
        assert code == 0, err
        emu.advance(3)
        touched = emu.touch("Quotes", n=2)
        (deleted,) = emu.delete("Quotes", n=1)
        emu.advance(2)
        code, _, err = run_cli("--destination", "postgres", "--dataset", dataset, "--modules", "Quotes,Users")
        assert code == 0, err
        with psycopg2.connect(dsn) as con, con.cursor() as cur:
            cur.execute(f"SELECT id, modified_time FROM {dataset}.{table_name('Quotes')}")
            rows = dict(cur.fetchall())
            assert set(rows) == emu.record_ids("Quotes") and deleted not in rows
            for record in emu.records("Quotes"):  # touched ones carry their new Modified_Time
                assert rows[record["id"]] == pendulum.parse(record["Modified_Time"])
            assert all(rows[i] > min(rows.values()) for i in touched)
            cur.execute(f"SELECT count(*) FROM {dataset}.zoho_crm_quotes__quoted_items")
            items = sum(len(r["Quoted_Items"]) for r in emu.records("Quotes"))
            assert cur.fetchone()[0] == items
            cur.execute(
                f"SELECT data_type FROM information_schema.columns WHERE table_schema = '{dataset}' "
                "AND table_name = 'zoho_crm_quotes' AND column_name = 'modified_time'"
            )
            assert cur.fetchone()[0] == "timestamp with time zone"
    finally:
        with psycopg2.connect(dsn) as con, con.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {dataset} CASCADE; DROP SCHEMA IF EXISTS {dataset}_staging CASCADE")
