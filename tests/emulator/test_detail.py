"""Records by ids and single records (zoho-crm-api.md §2)."""

from __future__ import annotations

from typing import Any


def test_ids_over_100_rejected(factory: Any) -> None:
    emu, api = factory(records_per_module={"Leads": 150})
    ids = sorted(emu.record_ids("Leads"))
    assert api.get("/crm/v7/Leads", {"ids": ",".join(ids[:100])}).status_code == 200
    r = api.get("/crm/v7/Leads", {"ids": ",".join(ids[:101])})
    assert r.status_code == 400
    assert r.json()["code"] == "LIMIT_EXCEEDED" and r.json()["details"] == {"limit": 100, "param_name": "ids"}


def test_unknown_and_deleted_ids_are_silently_omitted(api: Any) -> None:
    ids = sorted(api.emu.record_ids("Accounts"))[:3]
    [gone] = api.emu.delete("Accounts", ids=[ids[0]])
    r = api.get("/crm/v7/Accounts", {"ids": ",".join([*ids, "4876876000000999999"])})
    assert sorted(x["id"] for x in r.json()["data"]) == sorted(ids[1:])
    assert gone not in {x["id"] for x in r.json()["data"]}


def test_ids_none_matching_gives_204(api: Any) -> None:
    assert api.get("/crm/v7/Accounts", {"ids": "4876876000000999999"}).status_code == 204


def test_ids_non_numeric_is_invalid_data(api: Any) -> None:
    assert api.get("/crm/v7/Accounts", {"ids": "abc"}).json()["code"] == "INVALID_DATA"


def test_detail_includes_line_items_but_list_never_does(api: Any) -> None:
    ids = sorted(api.emu.record_ids("Quotes"))[:5]
    listed = api.get("/crm/v7/Quotes", {"fields": "Subject,Quoted_Items,Grand_Total"}).json()["data"]
    assert all("Quoted_Items" not in r for r in listed)
    detail = api.get("/crm/v7/Quotes", {"ids": ",".join(ids)}).json()["data"]
    for rec in detail:
        items = rec["Quoted_Items"]
        assert items
        for row in items:
            assert set(row) >= {
                "id",
                "Product_Name",
                "Quantity",
                "List_Price",
                "Discount",
                "Total",
                "Net_Total",
                "Line_Tax",
                "Parent_Id",
            }
            assert row["Parent_Id"]["id"] == rec["id"]
            assert set(row["Product_Name"]) >= {"name", "id", "Product_Code"}
            assert row["Total"] == round(row["Quantity"] * row["List_Price"], 2)
            assert row["Net_Total"] == round(row["Total"] - row["Discount"] + row["Tax"], 2)
        assert rec["Sub_Total"] == round(sum(r["Net_Total"] for r in items), 2)
    single = api.get(f"/crm/v7/Quotes/{ids[0]}").json()["data"][0]
    assert single["Quoted_Items"] and single["$has_more"] == {"Quoted_Items": False}


def test_every_inventory_module_has_its_line_items_on_detail(api: Any) -> None:
    for module, field in (
        ("Quotes", "Quoted_Items"),
        ("Sales_Orders", "Ordered_Items"),
        ("Purchase_Orders", "Purchased_Items"),
        ("Invoices", "Invoiced_Items"),
    ):
        rid = sorted(api.emu.record_ids(module))[0]
        rec = api.get(f"/crm/v7/{module}/{rid}").json()["data"][0]
        assert isinstance(rec[field], list) and rec[field], module


def test_multi_select_lookup_and_subform_only_on_detail(api: Any) -> None:
    deals = api.emu.records("Deals")
    with_contacts = [d for d in deals if d["Associated_Contacts"]]
    assert with_contacts
    d = with_contacts[0]
    assert all(set(x) == {"Contacts", "id"} for x in d["Associated_Contacts"])
    listed = api.get("/crm/v7/Deals", {"ids": d["id"], "fields": "Associated_Contacts,Deal_Name"}).json()["data"][0]
    assert listed["Associated_Contacts"] == d["Associated_Contacts"]
    accounts = [a for a in api.emu.records("Accounts") if a["Subform_1"]]
    assert accounts and set(accounts[0]["Subform_1"][0]) >= {"Parent_Id", "id", "Created_Time", "Modified_Time"}


def test_ids_full_records_variant_returns_list_shape(api: Any) -> None:
    api.emu.config.ids_full_records = False
    rid = sorted(api.emu.record_ids("Quotes"))[0]
    rec = api.get("/crm/v7/Quotes", {"ids": rid}).json()["data"][0]
    assert "Quoted_Items" not in rec and "Subject" in rec


def test_ids_require_fields_variant(api: Any) -> None:
    rid = sorted(api.emu.record_ids("Leads"))[0]
    assert api.get("/crm/v7/Leads", {"ids": rid}).status_code in (200, 204)
    api.emu.config.ids_require_fields = True
    r = api.get("/crm/v7/Leads", {"ids": rid})
    assert r.status_code == 400 and r.json()["code"] == "REQUIRED_PARAM_MISSING"


def test_ids_apply_converted_filter(api: Any) -> None:
    converted = [r["id"] for r in api.emu.records("Leads") if r["Converted__s"]]
    assert api.get("/crm/v7/Leads", {"ids": ",".join(converted)}).status_code == 204
    both = api.get("/crm/v7/Leads", {"ids": ",".join(converted), "converted": "both"}).json()["data"]
    assert {r["id"] for r in both} == set(converted)
    api.emu.config.ids_apply_converted_filter = False
    assert api.get("/crm/v7/Leads", {"ids": ",".join(converted)}).status_code == 200


def test_single_record_is_full_and_unknown_id_is_204(api: Any) -> None:
    rid = sorted(api.emu.record_ids("Leads"))[2]
    r = api.get(f"/crm/v7/Leads/{rid}")
    assert r.status_code == 200 and len(r.json()["data"]) == 1
    rec = r.json()["data"][0]
    expected = {f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": "Leads"}).json()["fields"]}
    assert expected <= set(rec)
    assert api.get("/crm/v7/Leads/4876876000000999999").status_code == 204
    assert api.get("/crm/v7/Leads/notanid").status_code == 400
    assert api.emu.stats()["calls"]["record"] == 3
