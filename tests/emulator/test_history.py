"""DealHistory, the field tracker of Deals.Stage: consistent with the deals, and read like any module."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from itertools import pairwise
from typing import Any

from zoho_emulator.org_settings import PIPELINE_BY_NAME, STAGE_BY_NAME

HISTORY_FIELDS = "Deal_Name,Stage,Amount,Probability,Expected_Revenue,Closing_Date,Duration,Moved_To,Modified_Time"


def history_by_deal(emu: Any) -> dict[str, list[dict[str, Any]]]:
    """DealHistory rows per deal id, oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in emu.records("DealHistory"):
        out.setdefault(row["Deal_Name"]["id"], []).append(row)
    for rows in out.values():
        rows.sort(key=lambda r: (datetime.fromisoformat(r["Created_Time"]), int(r["id"])))
    return out


def test_every_deal_has_a_history_ending_at_its_current_stage(factory: Any) -> None:
    emu, _api = factory(records_per_module={"Deals": 300})
    history = history_by_deal(emu)
    deals = emu.records("Deals")
    assert set(history) == {d["id"] for d in deals}
    assert any(len(rows) > 1 for rows in history.values())
    for deal in deals:
        rows = history[deal["id"]]
        assert rows[0]["Created_Time"] == deal["Created_Time"]
        assert rows[-1]["Stage"] == deal["Stage"] and rows[-1]["Moved_To"] is None and rows[-1]["Duration"] is None
        assert all(r["Stage"] in PIPELINE_BY_NAME[deal["Pipeline"]].stages for r in rows)
        for prev, nxt in pairwise(rows):
            assert prev["Moved_To"] == nxt["Stage"] and prev["Modified_Time"] == nxt["Created_Time"]
            days = (datetime.fromisoformat(nxt["Created_Time"]) - datetime.fromisoformat(prev["Created_Time"])).days
            assert prev["Duration"] == days
        for r in rows:
            assert r["Probability"] == STAGE_BY_NAME[r["Stage"]].probability
            assert r["Expected_Revenue"] == round(r["Amount"] * r["Probability"] / 100, 2)


def test_stage_change_appends_a_row_that_if_modified_since_sees(api: Any) -> None:
    emu = api.emu
    since = emu.now().isoformat()
    emu.advance(3600)
    deal_id = sorted(emu.record_ids("Deals"))[0]
    emu.touch("Deals", ids=[deal_id], field="Stage")
    r = api.get("/crm/v7/DealHistory", {"fields": HISTORY_FIELDS, "sort_by": "Modified_Time", "sort_order": "asc"},
                headers={"If-Modified-Since": since})
    rows = r.json()["data"]
    deal = next(d for d in emu.records("Deals") if d["id"] == deal_id)
    assert [row["Deal_Name"]["id"] for row in rows] == [deal_id, deal_id]
    closed, current = sorted(rows, key=lambda row: int(row["id"]))
    assert closed["Moved_To"] == current["Stage"] == deal["Stage"] and closed["Duration"] is not None
    assert closed["Modified_Time"] == current["Modified_Time"] == deal["Modified_Time"]
    assert current["Probability"] == deal["Probability"] and current["Amount"] == deal["Amount"]


def test_changes_to_other_deal_fields_leave_the_history_alone(api: Any) -> None:
    before = len(api.emu.records("DealHistory"))
    api.emu.touch("Deals", n=3, field="Amount")
    api.emu.touch("Deals", n=3, field="Description")
    assert len(api.emu.records("DealHistory")) == before


def test_new_deal_starts_its_history_and_deletion_takes_it_along(api: Any) -> None:
    emu = api.emu
    (deal_id,) = emu.add("Deals")
    rows = history_by_deal(emu)[deal_id]
    assert len(rows) == 1 and rows[0]["Created_Time"] == next(
        d for d in emu.records("Deals") if d["id"] == deal_id)["Created_Time"]
    history_ids = {r["id"] for r in history_by_deal(emu)[sorted(emu.record_ids("Deals"))[0]]}
    victim = sorted(emu.record_ids("Deals"))[0]
    emu.delete("Deals", ids=[victim])
    deleted = api.get("/crm/v7/DealHistory/deleted").json()["data"]
    assert {d["id"] for d in deleted} == history_ids and {d["type"] for d in deleted} == {"recycle"}
    assert not history_ids & emu.record_ids("DealHistory")
    emu.advance(10)
    emu.restore("Deals", [victim])
    assert history_ids <= emu.record_ids("DealHistory")
    assert api.get("/crm/v7/DealHistory/deleted").status_code == 204


def test_deal_history_is_served_like_any_module(factory: Any) -> None:
    emu, api = factory(records_per_module={"Deals": 1500}, bulk_delay=0.1)
    expected = {r["id"]: r for r in emu.records("DealHistory")}
    assert len(expected) > 2000  # past the discrete-page limit: the chain needs page_token
    rows = api.list_all("DealHistory", "Stage,Deal_Name,Modified_Time")
    assert len(rows) == len(expected) and {r["id"] for r in rows} == set(expected)
    ids = sorted(expected)[:3]
    by_ids = api.get("/crm/v7/DealHistory", {"ids": ",".join(ids)}).json()["data"]
    assert [r["id"] for r in by_ids] == ids and by_ids[0] == expected[ids[0]]
    assert api.get(f"/crm/v7/DealHistory/{ids[1]}").json()["data"][0] == expected[ids[1]]
    job = api.post("/crm/bulk/v7/read", {"query": {"module": {"api_name": "DealHistory"},
                                                  "fields": ["Stage", "Deal_Name"]}}).json()
    job_id = job["data"][0]["details"]["id"]
    emu.advance(5)
    with zipfile.ZipFile(io.BytesIO(api.get(f"/crm/bulk/v7/read/{job_id}/result").content)) as zf:
        csv_rows = list(csv.DictReader(io.StringIO(zf.read(f"{job_id}.csv").decode())))
    assert {r["id"]: (r["Stage"], r["Deal_Name"]) for r in csv_rows} == {
        i: (r["Stage"], r["Deal_Name"]["id"]) for i, r in expected.items()}


def test_deal_history_module_and_stage_metadata(api: Any, factory: Any) -> None:
    modules = {m["api_name"]: m for m in api.get("/crm/v7/settings/modules").json()["modules"]}
    assert modules["DealHistory"]["generated_type"] == "field_tracker" and modules["DealHistory"]["api_supported"]
    assert "DealHistory" not in api.emu.modules()  # not a record module of its own: its rows follow the deals
    stage = next(f for f in api.get("/crm/v7/settings/fields", {"module": "Deals"}).json()["fields"]
                 if f["api_name"] == "Stage")
    assert stage["history_tracking"]["module"]["api_name"] == "DealHistory"
    fields = [f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": "DealHistory"}).json()["fields"]]
    assert fields == [*HISTORY_FIELDS.split(",")[:-1], "Created_By", "Modified_By", "Created_Time", "Modified_Time"]
    _emu, other = factory(deal_history_generated_type="default")
    mods = {m["api_name"]: m for m in other.get("/crm/v7/settings/modules").json()["modules"]}
    assert mods["DealHistory"]["generated_type"] == "default"


def test_deal_history_needs_the_deals_scope(factory: Any) -> None:
    _emu, api = factory(scopes=("ZohoCRM.modules.leads.READ",))
    assert api.get("/crm/v7/DealHistory", {"fields": "Stage"}).json()["code"] == "OAUTH_SCOPE_MISMATCH"
    _emu, api = factory(scopes=("ZohoCRM.modules.deals.READ",))
    assert api.get("/crm/v7/DealHistory", {"fields": "Stage"}).status_code == 200
