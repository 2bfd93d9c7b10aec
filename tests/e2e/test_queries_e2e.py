"""The README's "Query your CRM" queries, each run against the demo data through `pipeline.dataset()`."""

import os
import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import dlt
import pytest

from tests.conftest import REPO_ROOT
from tests.e2e.conftest import run_cli
from zoho_crm.queries import QUERIES

Rows = List[Tuple[Any, ...]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Tuple[dlt.Pipeline, Callable[[str], Rows]]:
    """The demo loaded once for this module; returns its pipeline and a plain-SQL reader of its DuckDB file."""
    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("DLT_DATA_DIR", str(root / "dlt_data"))
        mp.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        code, _, err = run_cli("--demo")
        assert code == 0, err
        pipeline = dlt.attach("zoho_crm_demo", pipelines_dir=str(root / "dlt_data" / "pipelines"))

    def sql(query: str) -> Rows:
        with pipeline.sql_client() as client:
            return [tuple(r) for r in client.execute_sql(query)]

    return pipeline, sql


def run_query(pipeline: dlt.Pipeline, title: str) -> Rows:
    return [tuple(r) for r in pipeline.dataset()(QUERIES[title]).fetchall()]


def test_readme_shows_every_query_verbatim() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert len(QUERIES) >= 6
    for title, sql in QUERIES.items():
        assert f"### {title}" in readme and sql.strip() in readme, title


def test_open_pipeline_by_stage(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Open pipeline by stage")
    (open_deals,) = sql("SELECT count(*) FROM zoho_crm_deals WHERE stage NOT LIKE 'Closed%'")[0]
    assert sum(r[1] for r in rows) == open_deals > 0
    assert all(not r[0].startswith("Closed") for r in rows)
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)
    assert all(0 <= r[3] <= r[2] for r in rows)  # weighted by probability


def test_won_revenue_by_month(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Won revenue by month")
    (won, revenue) = sql("SELECT count(*), sum(amount) FROM zoho_crm_deals WHERE stage = 'Closed Won'")[0]
    assert sum(r[1] for r in rows) == won > 0
    assert abs(float(sum(r[2] for r in rows)) - float(revenue)) < 0.05 * len(rows)
    assert all(r[0].day == 1 for r in rows) and [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)


def test_lead_sources_and_conversion(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Lead sources and conversion")
    (leads, converted) = sql("SELECT count(*), count(*) FILTER (WHERE converted__s) FROM zoho_crm_leads")[0]
    assert sum(r[1] for r in rows) == leads > 0 and sum(r[2] for r in rows) == converted
    assert all(r[3] == round(100.0 * r[2] / r[1], 1) for r in rows)


def test_activities_per_owner(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Activities per owner")
    counts: Dict[str, int] = {t: sql(f"SELECT count(*) FROM zoho_crm_{t}")[0][0] for t in ("calls", "tasks", "events")}
    assert (sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows)) == (
        counts["calls"],
        counts["tasks"],
        counts["events"],
    )
    assert len(rows) > 1 and all(r[4] == r[1] + r[2] + r[3] for r in rows)


def test_quoted_products_from_line_items_joined_to_their_quotes(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Quoted products")
    assert 0 < len(rows) <= 10
    for product, quotes, quantity, _ in rows:
        expected = sql(
            "SELECT count(DISTINCT q.id), sum(i.quantity) FROM zoho_crm_quotes__quoted_items i "
            f"JOIN zoho_crm_quotes q ON q._dlt_id = i._dlt_root_id WHERE i.product_name__name = '{product}'"
        )[0]
        assert (quotes, quantity) == expected


def test_deletions_over_time(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Deletions over time")
    (deleted,) = sql("SELECT count(*) FROM zoho_crm_deleted_records")[0]
    assert sum(r[2] for r in rows) == deleted > 0
    assert {r[1] for r in rows} == {r[0] for r in sql("SELECT DISTINCT module FROM zoho_crm_deleted_records")}


def test_demo_into_the_filesystem_prints_queries_from_the_filesystem(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(tmp_path / "lake"))
    code, out, err = run_cli("--demo", "--destination", "filesystem")
    assert code == 0, err
    assert "(from filesystem, dataset zoho_crm_data" in out
    assert not (tmp_path / "zoho_crm_demo.duckdb").exists()
    stages = re.findall(r"^    (\S[^|]*?) \| \d+ \|", out.split("-- Open pipeline by stage")[1], flags=re.M)
    assert stages and not any(s.startswith("Closed") for s in stages)
    assert "(not run:" not in out


def comparable(row: Tuple[Any, ...]) -> Tuple[str, ...]:
    """A result row with numbers rounded to cents and dates as text: DuckDB and Postgres return other types."""
    return tuple(f"{float(v):.2f}" if isinstance(v, (int, float, Decimal)) else str(v) for v in row)


@pytest.mark.skipif(not os.environ.get("ZOHO_TEST_POSTGRES"), reason="set ZOHO_TEST_POSTGRES (CI starts PostgreSQL)")
def test_every_query_gives_the_same_answers_on_postgres(demo, monkeypatch) -> None:
    import psycopg2

    duck, _ = demo
    dsn = os.environ["ZOHO_TEST_POSTGRES"]
    dataset = f"zoho_queries_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
    try:
        code, _, err = run_cli("--demo", "--destination", "postgres", "--dataset", dataset)
        assert code == 0, err
        postgres = dlt.attach("zoho_crm_demo")
        for title in QUERIES:
            expected, got = run_query(duck, title), run_query(postgres, title)
            assert len(got) == len(expected) > 0, title
            assert sorted(map(comparable, got)) == sorted(map(comparable, expected)), title
    finally:
        with psycopg2.connect(dsn) as con, con.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {dataset} CASCADE; DROP SCHEMA IF EXISTS {dataset}_staging CASCADE")
