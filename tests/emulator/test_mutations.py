"""Mutation API: touch, add, delete, restore, convert, field changes, mass update."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

AT = datetime(2025, 6, 1, 13, 0, 0, tzinfo=timezone.utc)


def by_id(emu: Any, module: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in emu.records(module)}


def test_touch_bumps_modified_time_and_changes_a_field(emu: Any) -> None:
    before = by_id(emu, "Contacts")
    ids = emu.touch("Contacts", 3, at=AT)
    after = by_id(emu, "Contacts")
    assert len(ids) == 3
    for rid in ids:
        assert datetime.fromisoformat(after[rid]["Modified_Time"]) == AT
        changed = {k for k in after[rid] if after[rid][k] != before[rid][k]} - {
            "Modified_Time",
            "Modified_By",
            "Last_Activity_Time",
        }
        assert changed, "a field value changes"
    untouched = set(before) - set(ids)
    assert all(before[r] == after[r] for r in untouched)


def test_touch_given_ids_and_field(emu: Any) -> None:
    rid = sorted(emu.record_ids("Leads"))[0]
    before = by_id(emu, "Leads")[rid]["Company"]
    assert emu.touch("Leads", ids=[rid], field="Company") == [rid]
    assert by_id(emu, "Leads")[rid]["Company"] != before


def test_touch_without_at_uses_the_emulator_clock(emu: Any) -> None:
    emu.set_now(datetime(2025, 6, 2, 8, 30, 0, tzinfo=timezone.utc))
    [rid] = emu.touch("Deals", 1)
    assert datetime.fromisoformat(by_id(emu, "Deals")[rid]["Modified_Time"]) == emu.now()


def test_add_creates_records_visible_in_list(api: Any) -> None:
    emu = api.emu
    n0 = emu.count("Vendors")
    ids = emu.add("Vendors", 2, at=AT)
    assert emu.count("Vendors") == n0 + 2 and set(ids) <= emu.record_ids("Vendors")
    rec = by_id(emu, "Vendors")[ids[0]]
    assert rec["Created_Time"] == rec["Modified_Time"]
    listed = {r["id"] for r in api.list_all("Vendors", "Vendor_Name", approved="both")}
    assert set(ids) <= listed
    assert int(ids[0]) > max(int(i) for i in emu.record_ids("Vendors") - set(ids))


def test_delete_removes_from_list_and_detail(api: Any) -> None:
    emu = api.emu
    [rid] = emu.delete("Products", 1)
    assert rid not in emu.record_ids("Products")
    assert api.get(f"/crm/v7/Products/{rid}").status_code == 204
    assert rid in {d["id"] for d in emu.deleted("Products")}


def test_restore_keeps_modified_time_when_configured(emu: Any) -> None:
    emu.config.restore_bumps_modified_time = False
    rid = sorted(emu.record_ids("Campaigns"))[0]
    before = by_id(emu, "Campaigns")[rid]["Modified_Time"]
    emu.delete("Campaigns", ids=[rid])
    emu.restore("Campaigns", [rid])
    assert by_id(emu, "Campaigns")[rid]["Modified_Time"] == before


def test_convert_leads(api: Any) -> None:
    emu = api.emu
    ids = emu.convert_leads(2, at=AT)
    recs = by_id(emu, "Leads")
    for rid in ids:
        assert recs[rid]["Converted__s"] is True
        assert datetime.fromisoformat(recs[rid]["Converted_Date_Time"]) == AT
        assert datetime.fromisoformat(recs[rid]["Modified_Time"]) == AT
    listed = {r["id"] for r in api.list_all("Leads", "Last_Name", approved="both")}
    assert not listed & set(ids)
    assert emu.count("Leads") == len(emu.record_ids("Leads"))


def test_add_field_with_values_bumps_only_records_that_get_a_value(api: Any) -> None:
    emu = api.emu
    emu.set_now(AT)
    before = by_id(emu, "Accounts")
    bumped = emu.add_field(
        "Accounts",
        "Tier__c",
        "picklist",
        values=lambda i: "Gold" if i % 2 else None,
        pick_list_values=["Gold", "Silver"],
    )
    after = by_id(emu, "Accounts")
    meta = {f["api_name"]: f for f in api.get("/crm/v7/settings/fields", {"module": "Accounts"}).json()["fields"]}
    assert meta["Tier__c"]["data_type"] == "picklist" and meta["Tier__c"]["custom_field"] is True
    for rid, rec in after.items():
        if rid in bumped:
            assert rec["Tier__c"] == "Gold" and datetime.fromisoformat(rec["Modified_Time"]) == AT
        else:
            assert rec["Tier__c"] is None and rec["Modified_Time"] == before[rid]["Modified_Time"]
    assert bumped
    emu.add_field("Accounts", "Always_Null__c", "text")
    assert all(r["Always_Null__c"] is None for r in emu.records("Accounts"))
    assert by_id(emu, "Accounts") == {k: {**v, "Always_Null__c": None} for k, v in after.items()}
    ids = emu.add_field("Accounts", "Flag__c", "boolean", values=True)
    assert set(ids) == emu.record_ids("Accounts")


def test_remove_field_disappears_from_metadata_and_records(api: Any) -> None:
    emu = api.emu
    had = emu.remove_field("Leads", "Rating")
    assert had and set(had) <= emu.record_ids("Leads")
    names = {f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": "Leads"}).json()["fields"]}
    assert "Rating" not in names
    assert all("Rating" not in r for r in emu.records("Leads"))


def test_mass_update_shares_one_modified_time(emu: Any) -> None:
    ids = emu.mass_update("Tasks", 5)
    times = {by_id(emu, "Tasks")[rid]["Modified_Time"] for rid in ids}
    assert len(ids) == 5 and len(times) == 1


def test_touched_record_is_seen_by_if_modified_since(api: Any) -> None:
    emu = api.emu
    emu.set_now(AT)
    cut = (AT - timedelta(seconds=1)).isoformat()
    ids = emu.touch("Calls", 2)
    r = api.get("/crm/v7/Calls", {"fields": "Subject", "approved": "both"}, headers={"If-Modified-Since": cut})
    assert {x["id"] for x in r.json()["data"]} == set(ids)
