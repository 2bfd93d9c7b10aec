"""Get Deleted Records (zoho-crm-api.md §3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def test_deleted_lists_recycle_and_permanent_newest_first(api: Any) -> None:
    recycled = api.emu.delete("Contacts", 2)
    [perm] = api.emu.delete("Contacts", 1, permanent=True)
    r = api.get("/crm/v7/Contacts/deleted")
    body = r.json()
    assert r.status_code == 200
    assert set(body["info"]) == {"per_page", "count", "page", "more_records"}
    ids = [d["id"] for d in body["data"]]
    assert set(recycled) | {perm} <= set(ids)
    times = [datetime.fromisoformat(d["deleted_time"]) for d in body["data"]]
    assert times == sorted(times, reverse=True)
    entry = next(d for d in body["data"] if d["id"] == perm)
    assert entry == {
        "deleted_by": None,
        "id": perm,
        "display_name": None,
        "type": "permanent",
        "created_by": None,
        "deleted_time": entry["deleted_time"],
    }
    rec = next(d for d in body["data"] if d["id"] == recycled[0])
    assert rec["type"] == "recycle" and rec["display_name"] and set(rec["deleted_by"]) == {"name", "id"}
    assert set(api.emu.record_ids("Contacts")).isdisjoint(set(recycled) | {perm})


def test_deleted_type_filter_and_invalid_type(api: Any) -> None:
    api.emu.delete("Deals", 1, permanent=True)
    perm = api.get("/crm/v7/Deals/deleted", {"type": "permanent"}).json()["data"]
    assert perm and all(d["type"] == "permanent" for d in perm)
    rec = api.get("/crm/v7/Deals/deleted", {"type": "recycle"}).json()["data"]
    assert all(d["type"] == "recycle" for d in rec)
    r = api.get("/crm/v7/Deals/deleted", {"type": "trash"})
    assert r.status_code == 400 and r.json()["code"] == "PATTERN_NOT_MATCHED"


def test_retention_windows_hide_old_deletions(api: Any) -> None:
    now = api.emu.now()
    [old_recycle] = api.emu.delete("Vendors", 1, at=now - timedelta(days=61))
    [ok_perm] = api.emu.delete("Vendors", 1, permanent=True, at=now - timedelta(days=100))
    [old_perm] = api.emu.delete("Vendors", 1, permanent=True, at=now - timedelta(days=121))
    ids = {d["id"] for d in api.get("/crm/v7/Vendors/deleted").json()["data"]}
    assert ok_perm in ids and old_recycle not in ids and old_perm not in ids
    assert {d["id"] for d in api.emu.deleted("Vendors")} == ids


def test_deleted_if_modified_since_filters_on_deleted_time(api: Any) -> None:
    cut = api.emu.now().replace(microsecond=0)
    api.emu.advance(5)
    [rid] = api.emu.delete("Cases", 1)
    r = api.get("/crm/v7/Cases/deleted", headers={"If-Modified-Since": cut.isoformat()})
    assert [d["id"] for d in r.json()["data"]] == [rid]
    later = (api.emu.now() + timedelta(seconds=10)).isoformat()
    assert api.get("/crm/v7/Cases/deleted", headers={"If-Modified-Since": later}).status_code == 204
    api.emu.config.deleted_ims_nothing_status = 304
    assert api.get("/crm/v7/Cases/deleted", headers={"If-Modified-Since": later}).status_code == 304


def test_deleted_empty_is_204(factory: Any) -> None:
    _emu, api = factory(initial_deleted=0)
    r = api.get("/crm/v7/Leads/deleted")
    assert r.status_code == 204 and r.content == b""


def test_deleted_paging_and_page_limit_variant(factory: Any) -> None:
    emu, api = factory(initial_deleted=0, records_per_module={"Products": 30})
    emu.delete("Products", 25)
    p1 = api.get("/crm/v7/Products/deleted", {"per_page": 10}).json()
    p3 = api.get("/crm/v7/Products/deleted", {"per_page": 10, "page": 3}).json()
    assert p1["info"]["more_records"] is True and p3["info"] == {
        "per_page": 10,
        "count": 5,
        "page": 3,
        "more_records": False,
    }
    emu.config.deleted_page_limit = 20
    r = api.get("/crm/v7/Products/deleted", {"per_page": 10, "page": 3})
    assert r.status_code == 400 and r.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"


def test_restore_brings_record_back_and_bumps_modified_time(api: Any) -> None:
    [rid] = api.emu.delete("Accounts", 1)
    api.emu.advance(30)
    api.emu.restore("Accounts", [rid])
    assert rid in api.emu.record_ids("Accounts")
    assert rid not in {d["id"] for d in api.emu.deleted("Accounts")}
    rec = api.get(f"/crm/v7/Accounts/{rid}").json()["data"][0]
    assert abs(datetime.fromisoformat(rec["Modified_Time"]) - api.emu.now()) < timedelta(seconds=2)
