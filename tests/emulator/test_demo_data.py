"""Plausible demo data: dates agree with stages and statuses (closed deals closed in the past, completed tasks
completed by their last edit, …), also after edits. The demo's own org (seed 7, 150 records, 600 Deals)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from zoho_emulator import EmulatorConfig, ZohoEmulator
from zoho_emulator.org_settings import STAGE_BY_NAME

START = "2025-06-01T12:00:00+00:00"


@pytest.fixture(scope="module")
def org() -> ZohoEmulator:
    """The demo org, then a week of edits (stage changes among them) and deletions."""
    emu = ZohoEmulator(EmulatorConfig(seed=7, default_records=150, records_per_module={"Deals": 600}, start_time=START))
    at = datetime.fromisoformat(START) + timedelta(days=7)
    emu.touch("Deals", n=60, at=at, field="Stage")
    emu.touch("Deals", n=60, at=at)
    emu.touch("Tasks", n=40, at=at, field="Status")
    emu.touch("Calls", n=40, at=at, field="Outgoing_Call_Status")
    emu.delete("Deals", n=10, at=at)
    return emu


def day(value: str) -> str:
    """The date part of a datetime as the API renders it (in the user's offset, as dates are)."""
    return value[:10]


def test_closed_deals_closed_between_creation_and_their_last_edit(org: ZohoEmulator) -> None:
    closed = [d for d in org.records("Deals") if STAGE_BY_NAME[d["Stage"]].forecast_type != "Open"]
    assert len(closed) > 100
    for deal in closed:
        assert day(deal["Created_Time"]) <= deal["Closing_Date"] <= day(deal["Modified_Time"]), deal["id"]


def test_a_closed_deal_closed_the_day_it_entered_its_stage(org: ZohoEmulator) -> None:
    last_row: dict[str, Any] = {}
    for row in sorted(org.records("DealHistory"), key=lambda r: (r["Created_Time"], int(r["id"]))):
        last_row[row["Deal_Name"]["id"]] = row
    for deal in org.records("Deals"):
        if STAGE_BY_NAME[deal["Stage"]].forecast_type != "Open":
            entered = last_row[deal["id"]]
            assert entered["Stage"] == deal["Stage"] and day(entered["Created_Time"]) == deal["Closing_Date"]


def test_open_deals_may_still_close_in_the_future(org: ZohoEmulator) -> None:
    now = day(org.now().isoformat())
    open_deals = [d for d in org.records("Deals") if STAGE_BY_NAME[d["Stage"]].forecast_type == "Open"]
    assert any(d["Closing_Date"] > now for d in open_deals)


def test_only_lost_deals_give_a_reason_for_loss(org: ZohoEmulator) -> None:
    reasons = {
        (STAGE_BY_NAME[d["Stage"]].forecast_type, d["Reason_For_Loss__s"] is not None) for d in org.records("Deals")
    }
    assert reasons == {("Open", False), ("Closed Won", False), ("Closed Lost", True), ("Closed Lost", False)}


def test_only_completed_tasks_have_a_closed_time_never_after_their_last_edit(org: ZohoEmulator) -> None:
    tasks = org.records("Tasks")
    assert {t["Closed_Time"] is not None for t in tasks if t["Status"] == "Completed"} == {True}
    assert {t["Closed_Time"] for t in tasks if t["Status"] != "Completed"} == {None}
    for task in tasks:
        if task["Closed_Time"]:
            created, closed, modified = (
                datetime.fromisoformat(task[k]) for k in ("Created_Time", "Closed_Time", "Modified_Time")
            )
            assert created <= closed <= modified


def test_calls_no_longer_scheduled_took_place_by_their_last_edit(org: ZohoEmulator) -> None:
    calls = [c for c in org.records("Calls") if c["Outgoing_Call_Status"] != "Scheduled"]
    assert calls
    for call in calls:
        assert datetime.fromisoformat(call["Call_Start_Time"]) <= datetime.fromisoformat(call["Modified_Time"])


def test_events_are_checked_into_at_the_event_not_before_it(org: ZohoEmulator) -> None:
    events = [e for e in org.records("Events") if e["Check_In_Time"]]
    assert events
    for event in events:
        start, check_in, modified = (
            datetime.fromisoformat(event[k]) for k in ("Start_DateTime", "Check_In_Time", "Modified_Time")
        )
        assert start <= check_in <= min(start + timedelta(minutes=30), modified)
