"""/settings/modules and /settings/fields (zoho-crm-api.md §4)."""

from __future__ import annotations

from typing import Any

STANDARD = (
    "Leads",
    "Contacts",
    "Accounts",
    "Deals",
    "Campaigns",
    "Tasks",
    "Events",
    "Calls",
    "Cases",
    "Solutions",
    "Products",
    "Vendors",
    "Price_Books",
    "Quotes",
    "Sales_Orders",
    "Purchase_Orders",
    "Invoices",
)


def modules_by_name(api: Any) -> dict[str, dict[str, Any]]:
    r = api.get("/crm/v7/settings/modules")
    assert r.status_code == 200
    return {m["api_name"]: m for m in r.json()["modules"]}


def test_modules_list_has_standard_custom_subform_linking_and_non_api_modules(api: Any) -> None:
    mods = modules_by_name(api)
    for name in STANDARD:
        assert mods[name]["api_supported"] is True and mods[name]["generated_type"] == "default"
    assert mods["Events"]["module_name"] == "Meetings"
    assert mods["Vehicles"]["generated_type"] == "custom"
    for name in ("Quoted_Items", "Ordered_Items", "Purchase_Items", "Invoiced_Items"):
        assert mods[name]["generated_type"] == "subform"
    assert mods["Contacts_X_Deals"]["generated_type"] == "linking"
    for name in ("Home", "Reports", "Analytics"):
        assert mods[name]["api_supported"] is False
    assert mods["Notes"]["api_supported"] is True
    for key in (
        "singular_label",
        "plural_label",
        "id",
        "modified_time",
        "creatable",
        "editable",
        "deletable",
        "viewable",
        "visible",
        "status",
    ):
        assert key in mods["Leads"]


def test_modules_status_filter(api: Any) -> None:
    r = api.get("/crm/v7/settings/modules", {"status": "system_hidden"})
    names = {m["api_name"] for m in r.json()["modules"]}
    assert "Quoted_Items" in names and "Leads" not in names
    assert api.get("/crm/v7/settings/modules", {"status": "bogus"}).status_code == 400


def test_single_module_includes_fields(api: Any) -> None:
    r = api.get("/crm/v7/settings/modules/Leads")
    mod = r.json()["modules"][0]
    assert mod["api_name"] == "Leads"
    assert {f["api_name"] for f in mod["fields"]} >= {"Last_Name", "Modified_Time"}
    assert api.get("/crm/v7/settings/modules/Nope").json()["code"] == "INVALID_MODULE"


def test_fields_requires_module_param(api: Any) -> None:
    r = api.get("/crm/v7/settings/fields")
    assert r.status_code == 400
    assert r.json()["code"] == "REQUIRED_PARAM_MISSING" and r.json()["details"] == {"param_name": "module"}


def test_fields_unknown_or_non_api_module_is_invalid_module(api: Any) -> None:
    assert api.get("/crm/v7/settings/fields", {"module": "Nope"}).json()["code"] == "INVALID_MODULE"
    assert api.get("/crm/v7/settings/fields", {"module": "Home"}).json()["code"] == "INVALID_MODULE"


def fields(api: Any, module: str) -> dict[str, dict[str, Any]]:
    r = api.get("/crm/v7/settings/fields", {"module": module})
    assert r.status_code == 200
    return {f["api_name"]: f for f in r.json()["fields"]}


def test_fields_metadata_carries_types_lookups_subforms_and_options(api: Any) -> None:
    leads = fields(api, "Leads")
    assert len(leads) > 50, "Leads must exceed the 50-field cap so that field chunking is exercised"
    assert leads["Legacy_Score"]["data_type"] == "integer" and leads["Legacy_Score"]["custom_field"] is True
    assert leads["Owner"]["data_type"] == "ownerlookup" and leads["Owner"]["json_type"] == "jsonobject"
    assert leads["Score_Ratio"]["formula"]["return_type"] == "double"
    assert leads["Score_Ratio"]["json_type"] == "double"
    assert leads["Region_Label"]["json_type"] == "string"
    assert leads["Lead_Code"]["auto_number"]["prefix"] == "LD-"
    assert leads["Annual_Revenue"]["currency"] == {"precision": 2, "rounding_option": "normal"}
    assert leads["Preferred_Languages"]["json_type"] == "jsonarray"
    assert {p["actual_value"] for p in leads["Lead_Status"]["pick_list_values"]} >= {"Contacted"}
    assert leads["Description"]["textarea"] == {"type": "large"}
    assert leads["External_Ref"]["data_type"] == "bigint" and leads["External_Ref"]["json_type"] == "string"
    contacts = fields(api, "Contacts")
    assert contacts["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    quotes = fields(api, "Quotes")
    assert quotes["Quoted_Items"]["data_type"] == "subform"
    assert quotes["Quoted_Items"]["associated_module"]["api_name"] == "Quoted_Items"
    deals = fields(api, "Deals")
    msl = deals["Associated_Contacts"]["multiselectlookup"]
    assert msl["linking_module"]["api_name"] == "Contacts_X_Deals"
    assert msl["connected_module"]["api_name"] == "Contacts"
    assert fields(api, "Solutions")["Answer"]["textarea"] == {"type": "rich_text"}
    for f in leads.values():
        for key in (
            "api_name",
            "data_type",
            "json_type",
            "field_label",
            "display_label",
            "id",
            "length",
            "decimal_place",
            "custom_field",
            "system_mandatory",
            "read_only",
            "visible",
            "virtual_field",
        ):
            assert key in f


def test_fields_of_subform_module(api: Any) -> None:
    items = fields(api, "Quoted_Items")
    assert items["Parent_Id"]["lookup"]["module"]["api_name"] == "Quotes"
    assert items["Product_Name"]["lookup"]["module"]["api_name"] == "Products"


def test_fields_type_unused_is_empty(api: Any) -> None:
    assert api.get("/crm/v7/settings/fields", {"module": "Leads", "type": "unused"}).status_code == 204
