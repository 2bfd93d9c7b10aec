"""Drift: changes Zoho makes without a new Modified_Time on the records that show them (formulas, rollup summaries,
lookup names, user names), deletions ageing out of /deleted, an emptied recycle bin, restores.

Each new value is checked in every rendering: Get Records with ``fields``, ``?ids=``, ``/{id}`` and the Bulk Read CSV.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from zoho_emulator.org_settings import CURRENCY_BY_CODE, HOME_CURRENCY
from zoho_emulator.rollups import Rollup

from .conftest import make

DAY = 86400
OAS_FIELDS = Path(__file__).resolve().parents[2].parent / "shared/reference/zoho-oas-v8/fields.json"
FILTERS = {"approved": "both", "converted": "both"}


# --- helpers ----------------------------------------------------------------------------------------------------------
def freeze(emu: Any) -> datetime:
    """Stop the clock on a whole second; returns it."""
    now = emu.now().replace(microsecond=0)
    emu.set_now(now)
    return now


def advance(api: Any, seconds: float) -> None:
    """Move the clock; later calls use a fresh access token (tokens live an hour)."""
    api.emu.advance(seconds)
    api._token = None


def views(api: Any, module: str, rid: str, fields: list[str]) -> dict[str, dict[str, Any]]:
    """``fields`` + Modified_Time of one record as the list call, ``?ids=`` and ``/{id}`` render them."""
    names = [*fields, "Modified_Time"]
    listed = next(r for r in api.list_all(module, ",".join(names), **FILTERS) if r["id"] == rid)
    by_ids = api.get(f"/crm/v7/{module}", {"ids": rid, **FILTERS}).json()["data"][0]
    single = api.get(f"/crm/v7/{module}/{rid}").json()["data"][0]
    return {view: {n: rec[n] for n in names} for view, rec in (("list", listed), ("ids", by_ids), ("record", single))}


def bulk(api: Any, module: str, fields: list[str] | None = None) -> dict[str, dict[str, str]]:
    """The Bulk Read CSV of a module (every field when ``fields`` is None), rows by id."""
    query: dict[str, Any] = {"module": {"api_name": module}}
    if fields:
        query["fields"] = fields
    r = api.post("/crm/bulk/v7/read", {"query": query})
    assert r.status_code == 201, r.text
    job_id = r.json()["data"][0]["details"]["id"]
    api.emu.advance(5)
    job = api.get(f"/crm/bulk/v7/read/{job_id}").json()["data"][0]
    assert job["state"] == "COMPLETED"
    payload = api.get(job["result"]["download_url"]).content
    with zipfile.ZipFile(io.BytesIO(payload)) as zf:
        text = zf.read(f"{job_id}.csv").decode()
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def cell(value: Any) -> str:
    """A JSON value as the Bulk Read CSV writes it (lookups as their id)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value["id"])
    return str(value)


def by_id(emu: Any, module: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in emu.records(module)}


def deals_of(emu: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for deal in emu.records("Deals"):
        if deal["Account_Name"]:
            out.setdefault(deal["Account_Name"]["id"], []).append(deal)
    return out


def rate(record: dict[str, Any]) -> float:
    return CURRENCY_BY_CODE[record.get("Currency") or HOME_CURRENCY].rate


def field_meta(api: Any, module: str, name: str) -> dict[str, Any]:
    fields = api.get("/crm/v7/settings/fields", {"module": module}).json()["fields"]
    return next(f for f in fields if f["api_name"] == name)


# --- rollup summary ---------------------------------------------------------------------------------------------------
def test_rollup_field_metadata_follows_the_oas_rollup_summary_shape(api: Any) -> None:
    meta = field_meta(api, "Accounts", "Total_Deal_Amount")
    assert (meta["data_type"], meta["json_type"], meta["read_only"], meta["field_read_only"]) == (
        "rollup_summary", "double", True, True)
    assert meta["decimal_place"] == 2 and meta["custom_field"] is True and meta["formula"] == {}
    rollup = meta["rollup_summary"]
    deals_id = next(m["id"] for m in api.get("/crm/v7/settings/modules").json()["modules"] if m["api_name"] == "Deals")
    assert rollup["return_type"] == "currency"
    assert rollup["expression"] == {"function_parameters": [{"api_name": "Amount"}], "criteria": None,
                                    "function": "SUM"}
    assert rollup["based_on_module"] == {"api_name": "Deals", "id": deals_id}
    assert rollup["related_list"]["api_name"] == "Deals" and rollup["related_list"]["id"].isdigit()
    assert isinstance(rollup["rollup_based_on"], str)
    if OAS_FIELDS.is_file():  # every key the v8 OAS Rollup_Summary schema requires, nothing else
        schemas = json.loads(OAS_FIELDS.read_text())["components"]["schemas"]
        assert set(rollup) == set(schemas["Rollup_Summary"]["required"])
        assert set(rollup["expression"]) == set(schemas["Expression"]["required"])
        assert set(rollup["related_list"]) == set(schemas["Minified_Field"]["required"])
    other_ids = {f["id"] for f in api.get("/crm/v7/settings/fields", {"module": "Accounts"}).json()["fields"]}
    assert len(other_ids) == len(api.emu.store.mdefs["Accounts"].fields)  # its id is an id of its own


def test_rollup_value_is_the_sum_of_the_accounts_deal_amounts_in_the_account_currency(emu: Any) -> None:
    children = deals_of(emu)
    accounts = emu.records("Accounts")
    assert any(a["id"] in children for a in accounts) and any(a["id"] not in children for a in accounts)
    for account in accounts:
        deals = children.get(account["id"], [])
        home = sum(d["Amount"] / rate(d) for d in deals)
        assert account["Total_Deal_Amount"] == pytest.approx(home * rate(account), abs=0.01 * (len(deals) + 1))
        if not deals:
            assert account["Total_Deal_Amount"] == 0.0


def test_child_amount_change_changes_the_rollup_everywhere_without_moving_the_parent_modified_time(api: Any) -> None:
    emu = api.emu
    freeze(emu)
    account, deals = next(iter(deals_of(emu).items()))
    before = views(api, "Accounts", account, ["Total_Deal_Amount"])
    emu.advance(60)
    emu.touch("Deals", ids=[deals[0]["id"]], field="Amount")
    after = views(api, "Accounts", account, ["Total_Deal_Amount"])
    expected = by_id(emu, "Accounts")[account]["Total_Deal_Amount"]
    for view in ("list", "ids", "record"):
        assert after[view]["Total_Deal_Amount"] == expected != before[view]["Total_Deal_Amount"]
        assert after[view]["Modified_Time"] == before[view]["Modified_Time"]
    for row in (bulk(api, "Accounts")[account], bulk(api, "Accounts", ["Total_Deal_Amount", "Modified_Time"])[account]):
        assert row["Total_Deal_Amount"] == cell(expected)
        assert row["Modified_Time"] == before["list"]["Modified_Time"]
    # an incremental read on Modified_Time does not see the parent
    ims = {"If-Modified-Since": (emu.now() - timedelta(seconds=30)).isoformat()}
    r = api.get("/crm/v7/Accounts", {"fields": "Total_Deal_Amount", **FILTERS}, headers=ims)
    assert r.status_code == 304


def test_recalculate_rollups_changes_parent_values_and_keeps_their_modified_time(api: Any) -> None:
    emu = api.emu
    freeze(emu)
    before = by_id(emu, "Accounts")
    changed = emu.recalculate_rollups("Accounts", n=3)
    after = by_id(emu, "Accounts")
    assert len(changed) == 3
    for rid in changed:
        assert after[rid]["Total_Deal_Amount"] != before[rid]["Total_Deal_Amount"]
        assert after[rid]["Modified_Time"] == before[rid]["Modified_Time"]
    assert all(after[r] == before[r] for r in set(before) - set(changed))
    csv_rows = bulk(api, "Accounts", ["Total_Deal_Amount"])
    for rid in changed:
        got = views(api, "Accounts", rid, ["Total_Deal_Amount"])
        assert {v["Total_Deal_Amount"] for v in got.values()} == {after[rid]["Total_Deal_Amount"]}
        assert csv_rows[rid]["Total_Deal_Amount"] == cell(after[rid]["Total_Deal_Amount"])


def test_recalculate_rollups_of_given_parents_and_refusals(emu: Any) -> None:
    children = deals_of(emu)
    with_deals = sorted(children)[:2]
    assert sorted(emu.recalculate_rollups("Accounts", ids=with_deals)) == with_deals
    lonely = next(a for a in emu.record_ids("Accounts") if a not in children)
    with pytest.raises(ValueError):
        emu.recalculate_rollups("Accounts", ids=[lonely])
    with pytest.raises(ValueError):
        emu.recalculate_rollups("Contacts")


def test_rollup_bumps_parent_modified_time_when_configured(factory: Any) -> None:
    emu, api = factory(rollup_bumps_parent_modified_time=True)
    now = freeze(emu)
    before = by_id(emu, "Accounts")
    changed = emu.recalculate_rollups("Accounts", n=2)
    after = by_id(emu, "Accounts")
    for rid in changed:
        assert datetime.fromisoformat(after[rid]["Modified_Time"]) == now
        assert {v["Modified_Time"] for v in views(api, "Accounts", rid, ["Total_Deal_Amount"]).values()} == {
            after[rid]["Modified_Time"]}
    assert all(after[r]["Modified_Time"] == before[r]["Modified_Time"] for r in set(before) - set(changed))
    ims = {"If-Modified-Since": (now - timedelta(seconds=1)).isoformat()}
    listed = api.get("/crm/v7/Accounts", {"fields": "Total_Deal_Amount", **FILTERS}, headers=ims).json()["data"]
    assert {r["id"] for r in listed} == set(changed)


def test_deleting_and_restoring_a_deal_moves_its_accounts_rollup(emu: Any) -> None:
    account, deals = next(iter(deals_of(emu).items()))
    value = by_id(emu, "Accounts")[account]["Total_Deal_Amount"]
    emu.delete("Deals", ids=[deals[0]["id"]])
    assert by_id(emu, "Accounts")[account]["Total_Deal_Amount"] == pytest.approx(
        value - deals[0]["Amount"] / rate(deals[0]) * rate(by_id(emu, "Accounts")[account]), abs=0.02)
    emu.restore("Deals", [deals[0]["id"]])
    assert by_id(emu, "Accounts")[account]["Total_Deal_Amount"] == value
    totals = {rid: a["Total_Deal_Amount"] for rid, a in by_id(emu, "Accounts").items()}
    [new] = emu.add("Deals")
    deal = by_id(emu, "Deals")[new]
    grown = by_id(emu, "Accounts")[deal["Account_Name"]["id"]]
    assert grown["Total_Deal_Amount"] == pytest.approx(
        totals[grown["id"]] + deal["Amount"] / rate(deal) * rate(grown), abs=0.02)


def test_rendering_accounts_reads_rollup_totals_without_scanning_the_deals(emu: Any, monkeypatch: Any) -> None:
    emu.records("Accounts")  # first read builds the totals
    emu.touch("Deals", n=3, field="Amount")  # kept up to date incrementally
    calls = []
    original = Rollup._contribution
    monkeypatch.setattr(Rollup, "_contribution", lambda self, st: calls.append(st.id) or original(self, st))
    emu.records("Accounts")
    assert calls == []


# --- formulas ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("module", "field"), [("Deals", "Deal_Age_Days"), ("Leads", "Lead_Age_Days")])
def test_recalculate_formulas_changes_values_everywhere_without_moving_modified_time(
        api: Any, module: str, field: str) -> None:
    emu = api.emu
    freeze(emu)
    before = by_id(emu, module)
    ids = emu.recalculate_formulas(module, n=2)
    after = by_id(emu, module)
    assert len(ids) == 2
    csv_all, csv_some = bulk(api, module), bulk(api, module, [field, "Modified_Time"])
    for rid in ids:
        assert after[rid][field] != before[rid][field]
        assert {k: v for k, v in after[rid].items() if k != field} == {
            k: v for k, v in before[rid].items() if k != field}
        for view in views(api, module, rid, [field]).values():
            assert view == {field: after[rid][field], "Modified_Time": before[rid]["Modified_Time"]}
        for rows in (csv_all, csv_some):
            assert rows[rid][field] == cell(after[rid][field])
            assert rows[rid]["Modified_Time"] == before[rid]["Modified_Time"]
    assert all(after[r] == before[r] for r in set(before) - set(ids))


def test_now_formula_is_evaluated_at_the_last_edit_or_recalculation(emu: Any) -> None:
    now = freeze(emu)
    rid = sorted(emu.record_ids("Deals"))[0]

    def age() -> float:
        return float(by_id(emu, "Deals")[rid]["Deal_Age_Days"])

    created = datetime.fromisoformat(by_id(emu, "Deals")[rid]["Created_Time"])
    modified = datetime.fromisoformat(by_id(emu, "Deals")[rid]["Modified_Time"])
    assert age() == round((modified - created).total_seconds() / DAY, 2)
    emu.recalculate_formulas("Deals", ids=[rid])
    assert age() == round((now - created).total_seconds() / DAY, 2)
    first = age()
    emu.recalculate_formulas("Deals", ids=[rid])  # the clock stands still: the value still moves on
    assert age() > first
    emu.advance(10 * DAY)
    emu.touch("Deals", ids=[rid], field="Next_Step")  # an edit evaluates it at the edit's time
    assert age() == round((now + timedelta(days=10) - created).total_seconds() / DAY, 2)


def test_formula_field_metadata_and_modules_without_recalculating_formulas(api: Any) -> None:
    meta = field_meta(api, "Deals", "Deal_Age_Days")
    assert (meta["data_type"], meta["json_type"], meta["read_only"]) == ("formula", "double", True)
    assert meta["formula"]["return_type"] == "double" and "Now()" in meta["formula"]["expression"]
    assert field_meta(api, "Leads", "Lead_Age_Days")["formula"]["return_type"] == "double"
    with pytest.raises(ValueError):
        api.emu.recalculate_formulas("Accounts")


# --- renames ----------------------------------------------------------------------------------------------------------
def test_rename_uses_each_modules_display_field_and_is_an_edit(api: Any) -> None:
    emu = api.emu
    now = freeze(emu)
    for module in emu.modules():
        display = api.get(f"/crm/v7/settings/modules/{module}").json()["modules"][0]["display_field"]["api_name"]
        before = by_id(emu, module)
        [rid] = emu.rename(module)
        after = by_id(emu, module)[rid]
        assert after[display] != before[rid][display], module
        assert datetime.fromisoformat(after["Modified_Time"]) == now, module


def test_renamed_account_shows_in_every_lookup_without_moving_their_modified_time(api: Any) -> None:
    emu = api.emu
    now = freeze(emu)
    account, deals = next(iter(deals_of(emu).items()))
    deal = deals[0]["id"]
    contacts = [c["id"] for c in emu.records("Contacts") if (c["Account_Name"] or {}).get("id") == account]
    before_deal = views(api, "Deals", deal, ["Account_Name"])
    assert emu.rename("Accounts", ids=[account]) == [account]
    name = by_id(emu, "Accounts")[account]["Account_Name"]
    assert datetime.fromisoformat(by_id(emu, "Accounts")[account]["Modified_Time"]) == now
    for view, got in views(api, "Deals", deal, ["Account_Name"]).items():
        assert got["Account_Name"] == {"name": name, "id": account}, view
        assert got["Modified_Time"] == before_deal[view]["Modified_Time"]
    row = bulk(api, "Deals", ["Account_Name", "Account_Name.Account_Name", "Modified_Time"])[deal]
    assert (row["Account_Name"], row["Account_Name.Account_Name"]) == (account, name)
    assert row["Modified_Time"] == before_deal["list"]["Modified_Time"]
    for contact in contacts:
        assert by_id(emu, "Contacts")[contact]["Account_Name"]["name"] == name
    ims = {"If-Modified-Since": (now - timedelta(seconds=1)).isoformat()}
    assert api.get("/crm/v7/Deals", {"fields": "Account_Name", **FILTERS}, headers=ims).status_code == 304


def test_renamed_product_shows_in_line_items_and_their_module_listing(api: Any) -> None:
    emu = api.emu
    quote = emu.records("Quotes")[0]
    item = quote["Quoted_Items"][0]
    product = item["Product_Name"]["id"]
    listed_before = api.list_all("Quoted_Items", "Product_Name,Modified_Time")
    assert any(r["Product_Name"]["id"] == product for r in listed_before)
    emu.rename("Products", ids=[product])
    name = by_id(emu, "Products")[product]["Product_Name"]
    detail = api.get(f"/crm/v7/Quotes/{quote['id']}").json()["data"][0]
    assert detail["Modified_Time"] == quote["Modified_Time"]
    assert all(i["Product_Name"]["name"] == name for i in detail["Quoted_Items"] if i["Product_Name"]["id"] == product)
    listed = api.list_all("Quoted_Items", "Product_Name,Modified_Time")
    assert {r["Product_Name"]["name"] for r in listed if r["Product_Name"]["id"] == product} == {name}


def test_rename_bumps_the_records_that_look_it_up_when_configured(factory: Any) -> None:
    emu, api = factory(rename_bumps_lookup_modified_time=True)
    now = freeze(emu)
    account, deals = next(iter(deals_of(emu).items()))
    before_deals = by_id(emu, "Deals")
    emu.rename("Accounts", ids=[account])
    looking = {d["id"] for d in deals}
    after_deals = by_id(emu, "Deals")
    for rid, deal in after_deals.items():
        moved = datetime.fromisoformat(deal["Modified_Time"]) == now
        assert moved == (rid in looking), rid
        if rid not in looking:
            assert deal == before_deals[rid]
    ims = {"If-Modified-Since": (now - timedelta(seconds=1)).isoformat()}
    listed = api.get("/crm/v7/Deals", {"fields": "Account_Name", **FILTERS}, headers=ims).json()["data"]
    assert {r["id"] for r in listed} == looking
    quotes = [q["id"] for q in emu.records("Quotes") if (q["Account_Name"] or {}).get("id") == account]
    assert all(datetime.fromisoformat(by_id(emu, "Quotes")[q]["Modified_Time"]) == now for q in quotes)


def test_rename_user_changes_record_owner_names_but_only_the_users_modified_time(api: Any) -> None:
    emu = api.emu
    now = freeze(emu)
    user = emu.users()[1]
    before = by_id(emu, "Leads")
    owned = [rid for rid, r in before.items() if r["Owner"]["id"] == user["id"]]
    assert owned
    assert emu.rename_user(1) == user["id"]
    renamed = emu.users()[1]
    assert renamed["full_name"] != user["full_name"] and renamed["email"] == user["email"]
    assert datetime.fromisoformat(renamed["Modified_Time"]) == now
    after = by_id(emu, "Leads")
    for rid in owned:
        assert after[rid]["Owner"]["name"] == renamed["full_name"]
        assert after[rid]["Modified_Time"] == before[rid]["Modified_Time"]
    for got in views(api, "Leads", owned[0], ["Owner"]).values():
        assert got["Owner"]["name"] == renamed["full_name"]
    row = bulk(api, "Leads", ["Owner", "Owner.last_name"])[owned[0]]
    assert (row["Owner"], row["Owner.last_name"]) == (user["id"], renamed["last_name"])
    ims = {"If-Modified-Since": (now - timedelta(seconds=1)).isoformat()}
    assert [u["id"] for u in api.get("/crm/v7/users", headers=ims).json()["users"]] == [user["id"]]
    assert emu.rename_user(user["id"]) == user["id"]


# --- deletions: retention, emptied recycle bin, restores --------------------------------------------------------------
def deleted_ids(api: Any, module: str, kind: str = "all") -> set[str]:
    r = api.get(f"/crm/v7/{module}/deleted", {"type": kind})
    return set() if r.status_code == 204 else {d["id"] for d in r.json()["data"]}


def test_deleted_retention_days_are_configurable(factory: Any) -> None:
    emu, api = factory(recycle_retention_days=10, permanent_retention_days=20, initial_deleted=0)
    freeze(emu)
    [recycled] = emu.delete("Vendors")
    [permanent] = emu.delete("Vendors", permanent=True)
    advance(api, 10 * DAY)
    assert deleted_ids(api, "Vendors") == {recycled, permanent}
    advance(api, 1)
    assert deleted_ids(api, "Vendors") == {permanent} == {d["id"] for d in emu.deleted("Vendors")}
    advance(api, 10 * DAY)
    assert deleted_ids(api, "Vendors") == set() == {d["id"] for d in emu.deleted("Vendors")}


def test_deleted_default_retention_is_60_and_120_days(factory: Any) -> None:
    emu, api = factory(initial_deleted=0)
    freeze(emu)
    [recycled] = emu.delete("Cases")
    [permanent] = emu.delete("Cases", permanent=True)
    advance(api, 60 * DAY)
    assert deleted_ids(api, "Cases") == {recycled, permanent}
    advance(api, 1)
    assert deleted_ids(api, "Cases") == {permanent}
    advance(api, 60 * DAY)
    assert deleted_ids(api, "Cases") == set()


def test_restore_fails_once_the_deletion_left_the_recycle_bin(factory: Any) -> None:
    emu, api = factory(recycle_retention_days=5)
    freeze(emu)
    [old] = emu.delete("Products")
    emu.advance(3 * DAY)
    [fresh] = emu.delete("Products")
    emu.advance(2 * DAY + 1)
    with pytest.raises(KeyError):
        emu.restore("Products", [old])
    with pytest.raises(KeyError):  # all or nothing
        emu.restore("Products", [fresh, old])
    assert old not in emu.record_ids("Products") and old not in deleted_ids(api, "Products")
    assert emu.restore("Products", [fresh]) == [fresh]


def test_empty_recycle_bin_purges_recycle_entries_at_once(api: Any) -> None:
    emu = api.emu
    recycled = emu.delete("Contacts", n=2)
    [permanent] = emu.delete("Contacts", permanent=True)
    in_bin = deleted_ids(api, "Contacts", "recycle")
    assert set(recycled) < in_bin  # the pre-existing recycle entry inside the window too
    assert set(emu.empty_recycle_bin("Contacts")) == in_bin
    assert deleted_ids(api, "Contacts", "recycle") == set()
    assert deleted_ids(api, "Contacts") == deleted_ids(api, "Contacts", "permanent") and permanent in deleted_ids(
        api, "Contacts")
    for rid in recycled:
        assert rid not in emu.record_ids("Contacts")
        assert api.get(f"/crm/v7/Contacts/{rid}").status_code == 204
    with pytest.raises(KeyError):
        emu.restore("Contacts", recycled[:1])
    assert emu.empty_recycle_bin("Contacts") == []


def test_empty_recycle_bin_of_given_ids_and_of_deals_history(api: Any) -> None:
    emu = api.emu
    first, second = emu.delete("Deals", n=2)
    rows = {r["id"] for r in emu.records("DealHistory")}
    history_before = deleted_ids(api, "DealHistory", "recycle")
    assert emu.empty_recycle_bin("Deals", ids=[first]) == [first]
    assert first not in deleted_ids(api, "Deals") and second in deleted_ids(api, "Deals")
    history_after = deleted_ids(api, "DealHistory", "recycle")
    assert history_after < history_before and history_after  # the first deal's rows are gone, the second's stay
    assert {r["id"] for r in emu.records("DealHistory")} == rows
    with pytest.raises(KeyError):
        emu.empty_recycle_bin("Deals", ids=[first])
    assert emu.restore("Deals", [second]) == [second]


def test_restore_without_bump_renders_the_pre_deletion_record_everywhere(factory: Any) -> None:
    emu, api = factory(restore_bumps_modified_time=False)
    freeze(emu)
    account, deals = next(iter(deals_of(emu).items()))
    deal = deals[0]["id"]
    fields = ["Deal_Name", "Amount", "Deal_Age_Days"]
    before, record, csv_row = views(api, "Deals", deal, fields), by_id(emu, "Deals")[deal], bulk(api, "Deals")[deal]
    total = by_id(emu, "Accounts")[account]["Total_Deal_Amount"]
    emu.delete("Deals", ids=[deal])
    advance(api, 3 * DAY)
    emu.restore("Deals", [deal])
    assert views(api, "Deals", deal, fields) == before
    assert by_id(emu, "Deals")[deal] == record
    assert bulk(api, "Deals")[deal] == csv_row
    assert by_id(emu, "Accounts")[account]["Total_Deal_Amount"] == total


# --- determinism ------------------------------------------------------------------------------------------------------
def test_new_fields_and_drift_mutations_are_deterministic() -> None:
    def run() -> dict[str, Any]:
        emu = make(seed=7)
        emu.set_now(emu.now().replace(microsecond=0))
        out = {m: emu.records(m) for m in ("Accounts", "Deals", "Leads")}
        out["ops"] = [emu.recalculate_rollups("Accounts", 2), emu.recalculate_formulas("Deals", 2),
                      emu.rename("Accounts", 2), emu.rename_user(2), emu.empty_recycle_bin("Leads")]
        out.update({f"{m} after": emu.records(m) for m in ("Accounts", "Deals", "Leads", "Contacts")})
        return out

    assert run() == run()
