"""The README's "Query your CRM" queries, each run against the demo data through `pipeline.dataset()`."""

import os
import re
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import dlt
import pytest

from tests.e2e.helpers import DemoRun, run_cli
from tests.helpers import REPO_ROOT
from zoho_crm.demo.queries import QUERIES
from zoho_emulator.org_settings import PIPELINES, ROLES, STAGE_BY_NAME

Rows = List[Tuple[Any, ...]]


@pytest.fixture
def demo(demo_run: DemoRun) -> Tuple[dlt.Pipeline, Callable[[str], Rows]]:
    """The demo loaded once for the session (read only); returns its pipeline and a plain-SQL reader of its DuckDB
    file."""
    assert demo_run.code == 0, demo_run.err
    pipeline = demo_run.pipeline
    assert pipeline is not None

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


@pytest.mark.slow
def test_open_pipeline_by_stage(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Open pipeline by stage")
    (open_deals, home) = sql(
        "SELECT count(*), sum(amount / exchange_rate) FROM zoho_crm_deals WHERE stage NOT LIKE 'Closed%'"
    )[0]
    assert sum(r[1] for r in rows) == open_deals > 0
    assert all(not r[0].startswith("Closed") for r in rows)
    assert abs(float(sum(r[2] for r in rows)) - float(home)) < 0.01 * len(rows)  # in the home currency
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)
    assert all(0 <= r[3] <= r[2] for r in rows)  # weighted by probability


@pytest.mark.slow
def test_won_revenue_by_month(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Won revenue by month")
    (won, revenue) = sql(
        "SELECT count(*), sum(amount / exchange_rate) FROM zoho_crm_deals WHERE stage = 'Closed Won'"
    )[0]
    assert sum(r[1] for r in rows) == won > 0
    assert abs(float(sum(r[2] for r in rows)) - float(revenue)) < 0.05 * len(rows)  # in the home currency
    assert all(r[0].day == 1 for r in rows) and [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)


@pytest.mark.slow
def test_lead_sources_and_conversion(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Lead sources and conversion")
    (leads, converted) = sql("SELECT count(*), count(*) FILTER (WHERE converted__s) FROM zoho_crm_leads")[0]
    assert sum(r[1] for r in rows) == leads > 0 and sum(r[2] for r in rows) == converted
    assert all(r[3] == round(100.0 * r[2] / r[1], 1) for r in rows)


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_deletions_over_time(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Deletions over time")
    (deleted,) = sql("SELECT count(*) FROM zoho_crm_deleted_records")[0]
    assert sum(r[2] for r in rows) == deleted > 0
    assert {r[1] for r in rows} == {r[0] for r in sql("SELECT DISTINCT module FROM zoho_crm_deleted_records")}


@pytest.mark.slow
def test_time_in_stage_per_deal_counts_each_stay_until_the_next_stage(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Time in stage per deal")
    now = datetime.now(timezone.utc)
    stays = defaultdict(list)
    for deal, entered, row_id, stage, moved_to, duration in sql(
        "SELECT deal_name__id, created_time, id, stage, moved_to, duration FROM zoho_crm_dealhistory"
    ):
        stays[deal].append((entered, row_id, stage, moved_to, duration))
    expected: Dict[Tuple[str, str], List[Any]] = {}
    for deal, path in stays.items():
        path.sort()
        for i, (entered, _, stage, moved_to, duration) in enumerate(path):
            left = path[i + 1][0] if i + 1 < len(path) else None
            days = ((left or now) - entered).total_seconds() / 86400
            if left is not None:  # a finished stay: Zoho's own whole days and next stage agree
                assert (duration, moved_to) == (int(days), path[i + 1][2])
            total = expected.setdefault((deal, stage), [0.0, 0, False])
            total[0], total[1], total[2] = total[0] + days, total[1] + 1, total[2] or left is None
    got = {(r[0], r[2]): r for r in rows}
    assert got.keys() == expected.keys() and len(rows) == len(got)
    assert sum(1 for r in rows if r[5]) == len(stays)  # one current stage per deal
    for key, (days, times, current) in expected.items():
        row = got[key]
        assert (row[3], row[5]) == (times, current), key
        assert abs(float(row[4]) - days) <= 0.06 + (0.05 if current else 0), key


@pytest.mark.slow
def test_pipeline_value_weighted_by_stage_probability(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Pipeline value weighted by stage probability")
    open_stages = [(p.name, seq, s) for p in PIPELINES for seq, s in enumerate(p.stages, 1)]
    open_stages = [(p, seq, s) for p, seq, s in open_stages if STAGE_BY_NAME[s].forecast_type == "Open"]
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (p, seq, s, STAGE_BY_NAME[s].probability) for p, seq, s in sorted(open_stages)
    ]
    totals: Dict[Tuple[str, str], List[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for pipe, stage, amount, rate, probability in sql(
        "SELECT pipeline, stage, amount, exchange_rate, probability FROM zoho_crm_deals WHERE stage NOT LIKE 'Closed%'"
    ):
        home = float(amount) / rate  # in the home currency; each deal's probability is its stage's
        totals[(pipe, stage)][0] += 1
        totals[(pipe, stage)][1] += home
        totals[(pipe, stage)][2] += home * probability / 100
    assert sum(r[4] for r in rows) == sum(t[0] for t in totals.values()) > 0
    for name, _, stage, _, deals, amount, weighted in rows:
        count, home, home_weighted = totals.get((name, stage), [0, 0.0, 0.0])
        assert deals == count
        assert abs(float(amount or 0) - home) < 0.01 and abs(float(weighted or 0) - home_weighted) < 0.01


@pytest.mark.slow
def test_deals_per_owners_role(demo) -> None:
    pipeline, sql = demo
    rows = run_query(pipeline, "Deals per owner's role")
    role_of = dict(sql("SELECT id, role__name FROM zoho_crm_users"))
    expected = {role: [0, set(), 0, 0] for role, _ in ROLES}
    for user, role in role_of.items():
        expected[role][1].add(user)
    for owner, stage in sql("SELECT owner__id, stage FROM zoho_crm_deals"):
        counts = expected[role_of[owner]]
        counts[0] += 1
        counts[2] += not stage.startswith("Closed")
        counts[3] += stage == "Closed Won"
    reports_to = {role: parent or "-" for role, parent in ROLES}
    assert sorted(rows) == sorted(
        (role, reports_to[role], len(users), deals, open_deals, won)
        for role, (deals, users, open_deals, won) in expected.items()
    )
    assert [r[3] for r in rows] == sorted((r[3] for r in rows), reverse=True)
    assert sum(r[3] for r in rows) == sql("SELECT count(*) FROM zoho_crm_deals")[0][0] > 0


@pytest.mark.slow
def test_demo_into_the_filesystem_prints_queries_from_the_filesystem(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(tmp_path / "lake"))
    code, out, err = run_cli("--demo", "--destination", "filesystem")
    assert code == 0, err
    assert "(from filesystem, dataset zoho_crm_data" in out
    assert not (tmp_path / "zoho_crm_demo.duckdb").exists()
    stages = re.findall(r"^    (\S[^|]*?) \| \d+ \|", out.split("-- Open pipeline by stage")[1], flags=re.M)
    assert stages and not any(s.startswith("Closed") for s in stages)
    assert "(not run:" not in out


# columns measured up to the query's current time: the two demo orgs were generated seconds apart (their data is
# relative to the clock), so such a value may round to another tenth of a day
UNTIL_NOW = {"Time in stage per deal": 4}


def comparable(row: Tuple[Any, ...], until_now: Optional[int] = None) -> Tuple[str, ...]:
    """A result row with numbers rounded to cents and dates as text: DuckDB and Postgres return other types."""
    return tuple(
        "~" if i == until_now else f"{float(v):.2f}" if isinstance(v, (int, float, Decimal)) else str(v)
        for i, v in enumerate(row)
    )


def assert_same_answers(title: str, got: Rows, expected: Rows) -> None:
    """Equal rows, in any order; a column measured up to now may differ by a tenth of a day."""
    until_now = UNTIL_NOW.get(title)
    got, expected = (sorted(rows, key=lambda r: comparable(r, until_now)) for rows in (got, expected))
    assert [comparable(r, until_now) for r in got] == [comparable(r, until_now) for r in expected], title
    if until_now is not None:
        assert all(abs(float(a[until_now]) - float(b[until_now])) <= 0.11 for a, b in zip(got, expected, strict=True))


@pytest.mark.slow
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
            assert_same_answers(title, got, expected)
    finally:
        with psycopg2.connect(dsn) as con, con.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {dataset} CASCADE; DROP SCHEMA IF EXISTS {dataset}_staging CASCADE")
