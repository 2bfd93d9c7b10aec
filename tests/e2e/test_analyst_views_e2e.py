"""Analyst views (issue 25): a multi-currency emulator org loaded into DuckDB and Postgres, then `create_views`."""

import logging
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Dict, Iterator, List, Optional, Tuple
from zoneinfo import ZoneInfo

import dlt
import pytest

from tests.e2e.helpers import load
from zoho_crm.destination.analyst import VIEW_NAMES, create_views, drop_views
from zoho_crm.destination.analyst import views as views_module
from zoho_emulator import ZohoEmulator
from zoho_emulator.org_settings import STAGE_BY_NAME

POSTGRES_DSN = os.environ.get("ZOHO_TEST_POSTGRES")
NEEDS_POSTGRES = pytest.mark.skipif(not POSTGRES_DSN, reason="set ZOHO_TEST_POSTGRES (CI starts PostgreSQL)")
DESTINATIONS = ["duckdb", pytest.param("postgres", marks=NEEDS_POSTGRES)]
ACTIVITY_MODULES = {"Tasks": "task", "Calls": "call", "Events": "event"}
MODULES = "Deals,Tasks,Calls,Events"
ORG = {
    "default_records": 6,
    "records_per_module": {"Deals": 40, "Tasks": 12, "Calls": 12, "Events": 12},
    "tz_offset": "-05:00",  # America/New_York: an offset that changes with daylight saving time
}
TIME_ZONE = ZoneInfo("America/New_York")
Rows = List[Tuple[Any, ...]]


@dataclass
class Mirror:
    """An emulator org loaded by the CLI into one destination."""

    emu: ZohoEmulator
    pipeline: dlt.Pipeline
    destination: str

    def sql(self, query: str) -> Rows:
        """Rows of `query`, with the dataset as the connection's schema (as docs/analyst-views.md shows)."""
        with self.pipeline.sql_client() as client:
            dataset = client.dataset_name
            client.execute_sql(f"SET search_path TO {dataset}" if self.postgres else f"SET schema '{dataset}'")
            return [tuple(r) for r in client.execute_sql(query) or []]

    @property
    def postgres(self) -> bool:
        return self.destination == "postgres"

    def views(self) -> List[str]:
        """The analyst views the dataset has."""
        with self.pipeline.sql_client() as client:
            rows = client.execute_sql(
                "SELECT table_name FROM information_schema.views WHERE table_schema = %s", client.dataset_name
            )
        return sorted(r[0] for r in rows if r[0] in VIEW_NAMES)


def open_mirror(
    destination: str,
    make_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    org: Optional[Dict[str, Any]] = None,
    **env: str,
) -> Iterator[Mirror]:
    """Load an org (ORG, with `org` settings on top) by the CLI with `args` and source settings `env`, into DuckDB
    or a Postgres schema of its own (dropped afterwards); yields the mirror."""
    emu = make_emulator(**{**ORG, **(org or {})})
    dataset = f"zoho_views_{uuid.uuid4().hex[:8]}"
    if destination == "postgres":
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", POSTGRES_DSN or "")
        args = (*args, "--destination", "postgres", "--dataset", dataset)
    load(monkeypatch, emu, *args, **env)
    try:
        yield Mirror(emu, dlt.attach("zoho_crm"), destination)
    finally:
        if destination == "postgres":
            import psycopg2

            with psycopg2.connect(POSTGRES_DSN) as con, con.cursor() as cur:
                cur.execute(f"DROP SCHEMA IF EXISTS {dataset} CASCADE; DROP SCHEMA IF EXISTS {dataset}_staging CASCADE")


@pytest.fixture(params=DESTINATIONS)
def mirror(request: pytest.FixtureRequest, make_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    """A multi-currency org's Deals, Tasks, Calls and Events (and the settings tables) with the views created."""
    for loaded in open_mirror(request.param, make_emulator, monkeypatch, "--modules", MODULES):
        assert create_views(loaded.pipeline) == list(VIEW_NAMES)
        yield loaded


def utc(value: Any) -> datetime:
    """A timestamp from either database as an aware UTC datetime."""
    return value.astimezone(timezone.utc)


def in_org_zone(value: datetime) -> datetime:
    """Wall-clock time in the org's time zone, as the `*_org` columns give it."""
    return value.astimezone(TIME_ZONE).replace(tzinfo=None)


def expected_forecast_type(stage: str) -> str:
    """The forecast type of the emulator's stage (every stage it generates is in its pipelines)."""
    return STAGE_BY_NAME[stage].forecast_type


def test_deals_view_has_one_row_per_deal_and_amount_home_is_amount_over_exchange_rate(mirror: Mirror) -> None:
    rows = mirror.sql(
        "SELECT id, currency, amount, exchange_rate, amount_home, expected_revenue, expected_revenue_home, "
        "home_currency FROM zoho_crm_v_deals"
    )
    assert len(rows) == len({r[0] for r in rows}) == mirror.emu.count("Deals") > 0
    assert {r[0] for r in rows} == mirror.emu.record_ids("Deals")
    assert len({r[1] for r in rows}) > 1  # several currencies: the conversion is exercised
    for _, currency, amount, rate, amount_home, revenue, revenue_home, home in rows:
        assert home == "INR"
        assert amount_home == pytest.approx(float(amount) / rate, rel=1e-9)
        assert revenue_home == pytest.approx(float(revenue) / rate, rel=1e-9)
        assert (rate == 1) == (currency == "INR")


def test_won_and_closed_are_never_null_and_follow_the_pipeline_stage(mirror: Mirror) -> None:
    rows = mirror.sql(
        "SELECT stage, forecast_type, is_closed, is_won, forecast_category, stage_probability FROM zoho_crm_v_deals"
    )
    assert {r[3] for r in rows} == {True, False}
    for stage, forecast_type, is_closed, is_won, category, probability in rows:
        spec = STAGE_BY_NAME[stage]
        assert forecast_type == spec.forecast_type, stage
        assert is_closed is (spec.forecast_type != "Open") and is_won is (spec.forecast_type == "Closed Won")
        assert (category, probability) == (spec.forecast_category, spec.probability), stage


def test_deal_owner_account_and_times_in_the_org_time_zone(mirror: Mirror) -> None:
    rows = mirror.sql(
        "SELECT id, owner_name, account_name, created_time, created_time_org, modified_time, modified_time_org, "
        "closing_date FROM zoho_crm_v_deals"
    )
    deals = {d["id"]: d for d in mirror.emu.records("Deals")}
    for deal_id, owner, account, created, created_org, modified, modified_org, closing in rows:
        deal = deals[deal_id]
        assert owner == deal["Owner"]["name"] and account == (deal["Account_Name"] or {}).get("name")
        assert created_org == in_org_zone(utc(created)) and modified_org == in_org_zone(utc(modified))
        assert utc(created) == datetime.fromisoformat(deal["Created_Time"])
        assert isinstance(closing, date) and str(closing) == deal["Closing_Date"]


def test_activities_view_has_one_row_per_task_call_and_event_with_its_related_ids(mirror: Mirror) -> None:
    rows = mirror.sql(
        "SELECT activity_type, id, related_module, related_id, contact_id, subject FROM zoho_crm_v_activities"
    )
    expected = []
    for module, kind in ACTIVITY_MODULES.items():
        for r in mirror.emu.records(module):
            subject = r["Event_Title"] if kind == "event" else r["Subject"]
            what, who = r.get("What_Id") or {}, r.get("Who_Id") or {}
            expected.append((kind, r["id"], r.get("$se_module"), what.get("id"), who.get("id"), subject))
    assert sorted(rows, key=str) == sorted(expected, key=str)
    assert {r[0] for r in rows} == set(ACTIVITY_MODULES.values())


def test_activity_times_are_due_date_call_start_and_event_start_also_in_the_org_time_zone(mirror: Mirror) -> None:
    rows = mirror.sql(
        "SELECT activity_type, id, due_or_start_time, due_or_start_time_org, end_time, created_time, "
        "created_time_org, status FROM zoho_crm_v_activities"
    )
    records = {r["id"]: r for module in ACTIVITY_MODULES for r in mirror.emu.records(module)}
    for kind, record_id, start, start_org, end, created, created_org, status in rows:
        record = records[record_id]
        assert created_org == in_org_zone(utc(created))
        if kind == "task":  # a due date: midnight of that day in the org's time zone
            assert start_org == datetime.fromisoformat(record["Due_Date"]) and start_org == in_org_zone(utc(start))
            assert end is None and status == record["Status"]
        elif kind == "call":
            assert utc(start) == datetime.fromisoformat(record["Call_Start_Time"])
            assert start_org == in_org_zone(utc(start))
            assert status == (record.get("Outgoing_Call_Status") or record["Call_Type"])
        else:
            assert utc(start) == datetime.fromisoformat(record["Start_DateTime"])
            assert utc(end) == datetime.fromisoformat(record["End_DateTime"]) and start_org == in_org_zone(utc(start))
            ended = utc(end) <= datetime.now(timezone.utc)
            assert status == ("Cancelled" if record.get("$event_cancelled") else "Held" if ended else "Planned")


def test_stage_durations_follow_the_stage_history(mirror: Mirror) -> None:
    history = mirror.sql("SELECT deal_name__id, created_time, id, stage FROM zoho_crm_dealhistory")
    rows = mirror.sql(
        "SELECT deal_id, visit_number, stage, entered_at, left_at, days_in_stage, is_current, next_stage, "
        "entered_at_org FROM zoho_crm_v_deal_stage_durations"
    )
    stays: Dict[str, List[Tuple[Any, ...]]] = defaultdict(list)
    for deal, entered, row_id, stage in history:
        stays[deal].append((utc(entered), row_id, stage))
    expected = []
    for deal, path in stays.items():
        path.sort()
        for i, (entered, _, stage) in enumerate(path):
            left = path[i + 1][0] if i + 1 < len(path) else None
            expected.append((deal, i + 1, stage, entered, left, left is None, path[i + 1][2] if left else None))
    got = [(r[0], r[1], r[2], utc(r[3]), r[4] and utc(r[4]), r[6], r[7]) for r in rows]
    assert sorted(got, key=str) == sorted(expected, key=str)
    now = datetime.now(timezone.utc)
    for r in rows:
        days = ((utc(r[4]) if r[4] else now) - utc(r[3])).total_seconds() / 86400
        assert float(r[5]) == pytest.approx(days, abs=0.01) and r[8] == in_org_zone(utc(r[3]))
    current = dict(mirror.sql("SELECT deal_id, stage FROM zoho_crm_v_deal_stage_durations WHERE is_current"))
    assert current == dict(mirror.sql("SELECT id, stage FROM zoho_crm_v_deals"))


def test_pipeline_stages_view_lists_each_stage_of_each_pipeline(mirror: Mirror) -> None:
    rows = mirror.sql("SELECT pipeline, stage, forecast_type, probability, is_won FROM zoho_crm_v_pipeline_stages")
    assert rows and len(rows) == len({(r[0], r[1]) for r in rows})
    for _, stage, forecast_type, probability, is_won in rows:
        spec = STAGE_BY_NAME[stage]
        assert (forecast_type, probability, is_won) == (spec.forecast_type, spec.probability, stage == "Closed Won")


def test_creating_the_views_again_replaces_them(mirror: Mirror) -> None:
    before = mirror.sql("SELECT count(*) FROM zoho_crm_v_deals")
    assert create_views(mirror.pipeline) == list(VIEW_NAMES)
    assert mirror.sql("SELECT count(*) FROM zoho_crm_v_deals") == before
    assert mirror.views() == sorted(VIEW_NAMES)


def test_a_view_whose_columns_changed_is_replaced(mirror: Mirror) -> None:
    # Postgres replaces a view in place only with the same leading columns: an older shape is dropped and recreated
    with mirror.pipeline.sql_client() as client:
        client.execute_sql(f"DROP VIEW {client.make_qualified_table_name('zoho_crm_v_deals')}")
        client.execute_sql(f"CREATE VIEW {client.make_qualified_table_name('zoho_crm_v_deals')} AS SELECT 1 AS old")
    assert create_views(mirror.pipeline) == list(VIEW_NAMES)
    assert mirror.sql("SELECT count(*) FROM zoho_crm_v_deals")[0][0] == mirror.emu.count("Deals")


@pytest.mark.parametrize("destination", DESTINATIONS)
def test_a_leads_only_load_creates_no_deal_or_activity_views_and_raises_nothing(
    destination: str, make_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for mirror in open_mirror(destination, make_emulator, monkeypatch, "--modules", "Leads"):
        created = create_views(mirror.pipeline)
        assert created == ["zoho_crm_v_pipeline_stages"]  # the settings tables are loaded with any module
        assert mirror.views() == ["zoho_crm_v_pipeline_stages"]


def test_without_settings_tables_won_and_closed_come_from_the_stage_name(
    make_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for mirror in open_mirror("duckdb", make_emulator, monkeypatch, "--modules", "Deals", SETTINGS_TABLES="none"):
        assert create_views(mirror.pipeline) == ["zoho_crm_v_deals", "zoho_crm_v_deal_stage_durations"]
        rows = mirror.sql("SELECT stage, is_closed, is_won, home_currency, amount, amount_home FROM zoho_crm_v_deals")
        for stage, is_closed, is_won, home, _, _ in rows:
            assert (is_closed, is_won) == (stage.startswith("Closed"), stage == "Closed Won") and home is None


def test_a_single_currency_org_has_amount_home_equal_to_amount(make_emulator: Any, monkeypatch) -> None:
    single = {"multi_currency": False}
    for mirror in open_mirror("duckdb", make_emulator, monkeypatch, "--modules", "Deals", org=single):
        create_views(mirror.pipeline)
        rows = mirror.sql("SELECT amount, amount_home, exchange_rate, home_currency FROM zoho_crm_v_deals")
        assert rows and all(float(a) == h and rate is None and home == "INR" for a, h, rate, home in rows)


def test_a_bulk_read_load_gives_the_same_deal_view(make_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for mirror in open_mirror("duckdb", make_emulator, monkeypatch, "--modules", MODULES, bulk_threshold="10"):
        assert mirror.emu.bulk_api.jobs  # Deals and their history were read by Bulk Read
        assert create_views(mirror.pipeline) == list(VIEW_NAMES)
        rows = mirror.sql("SELECT id, amount, exchange_rate, amount_home, is_won FROM zoho_crm_v_deals")
        assert {r[0] for r in rows} == mirror.emu.record_ids("Deals")
        assert all(r[3] == pytest.approx(float(r[1]) / r[2]) and r[4] is not None for r in rows)


def test_a_view_that_fails_is_a_warning_and_the_others_are_created(
    mirror: Mirror, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = [(name, (lambda catalog: "SELECT no_such_column FROM no_such_table") if name == "zoho_crm_v_deals"
               else build) for name, build in views_module.VIEWS]
    monkeypatch.setattr(views_module, "VIEWS", tuple(broken))
    with caplog.at_level(logging.WARNING):
        created = create_views(mirror.pipeline)
    assert created == [name for name in VIEW_NAMES if name != "zoho_crm_v_deals"]
    assert "Analyst view zoho_crm_v_deals not created" in caplog.text


@NEEDS_POSTGRES
def test_drop_views_lets_a_module_reset_drop_its_tables_on_postgres(make_emulator: Any, monkeypatch) -> None:
    from zoho_crm.runner.reset import reset_modules

    for mirror in open_mirror("postgres", make_emulator, monkeypatch, "--modules", MODULES):
        create_views(mirror.pipeline)
        assert drop_views(mirror.pipeline) == list(VIEW_NAMES) and mirror.views() == []
        reset_modules(mirror.pipeline, ["Deals"])  # Postgres refuses to drop a table a view reads
        assert "zoho_crm_v_deals" not in create_views(mirror.pipeline)


def test_no_views_on_the_filesystem_destination(tmp_path) -> None:
    pipeline = dlt.pipeline("views_fs", destination=dlt.destinations.filesystem(str(tmp_path / "lake")))
    assert create_views(pipeline) == [] and drop_views(pipeline) == []
