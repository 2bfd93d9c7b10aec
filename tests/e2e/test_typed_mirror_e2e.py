"""A typed, evolving mirror: types from field metadata, custom modules, users, deletions (issue 4)."""

from typing import Any, Dict, List

import pytest
import requests

from tests.e2e.helpers import column_types, dataset_tables, load, query, table_count
from tests.e2e.mirror import NAMING, assert_table_mirrors
from zoho_crm import table_name

# Zoho data_type -> (dlt data type, DuckDB column type prefix)
EXPECTED = {
    "datetime": ("timestamp", "TIMESTAMP WITH TIME ZONE"),
    "date": ("date", "DATE"),
    "integer": ("bigint", "BIGINT"),
    "bigint": ("bigint", "BIGINT"),
    "double": ("double", "DOUBLE"),
    "percent": ("double", "DOUBLE"),
    "currency": ("decimal", "DECIMAL"),
    "boolean": ("bool", "BOOLEAN"),
    "text": ("text", "VARCHAR"),
    "textarea": ("text", "VARCHAR"),
    "email": ("text", "VARCHAR"),
    "phone": ("text", "VARCHAR"),
    "website": ("text", "VARCHAR"),
    "picklist": ("text", "VARCHAR"),
    "autonumber": ("text", "VARCHAR"),
    "profileimage": ("text", "VARCHAR"),
    "multiselectpicklist": ("json", "JSON"),
}
LOOKUPS = ("lookup", "ownerlookup", "userlookup", "layout")


def zoho_fields(emu: Any, module: str) -> List[Dict[str, Any]]:
    """Field metadata as the emulator serves it over HTTP."""
    grant = {
        "grant_type": "refresh_token",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "refresh_token": emu.refresh_token,
    }
    token = requests.post(f"{emu.base_url}/oauth/v2/token", data=grant, timeout=10).json()["access_token"]
    response = requests.get(
        f"{emu.base_url}/crm/v7/settings/fields",
        params={"module": module},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        timeout=10,
    )
    return response.json()["fields"]


def schema_types(table: str) -> Dict[str, str]:
    import dlt

    pipeline = dlt.attach("zoho_crm")
    return {name: col.get("data_type") for name, col in pipeline.default_schema.get_table_columns(table).items()}


def test_every_zoho_data_type_gets_its_column_type(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator)
    seen = set()
    for module in ("Leads", "Contacts", "Accounts", "Deals", "Products", "Quotes", "Invoices", "Campaigns"):
        table = table_name(module)
        dlt_types, db_types = schema_types(table), column_types(table)
        for field in zoho_fields(emulator, module):
            data_type, name = field["data_type"], field["api_name"]
            if data_type == "formula":
                data_type = field["formula"]["return_type"].replace("text", "text")
            if name == "id":
                assert dlt_types["id"] == "text" and db_types["id"] == "VARCHAR"
            elif data_type in LOOKUPS:
                column = NAMING.normalize_path(f"{name}__id")
                assert dlt_types[column] == "text" and db_types[column] == "VARCHAR", f"{table}.{column}"
            elif (data_type in EXPECTED and field["json_type"] not in ("jsonarray", "jsonobject")) or data_type in (
                "multiselectpicklist",
            ):
                column = NAMING.normalize_path(name)
                dlt_type, db_type = EXPECTED[data_type]
                assert dlt_types.get(column) == dlt_type, f"{table}.{column}: {dlt_types.get(column)} != {dlt_type}"
                assert db_types[column].startswith(db_type), f"{table}.{column}: {db_types[column]}"
            else:
                continue
            seen.add(data_type)
    assert {"datetime", "date", "integer", "double", "currency", "boolean", "text", "multiselectpicklist"} <= seen
    assert {"lookup", "ownerlookup", "layout"} <= seen


def test_currency_keeps_the_field_precision(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    amount = next(f for f in zoho_fields(emulator, "Deals") if f["api_name"] == "Amount")
    scale = (amount.get("currency") or {}).get("precision") or amount.get("decimal_place") or 2
    assert column_types("zoho_crm_deals")["amount"].endswith(f",{scale})")
    record = next(r for r in emulator.records("Deals") if r.get("Amount") is not None)
    (stored,) = query(f"SELECT amount FROM zoho_crm_deals WHERE id = '{record['id']}'")[0]
    assert float(stored) == pytest.approx(record["Amount"])


def test_custom_field_null_in_every_record_still_has_a_typed_column(emulator, monkeypatch) -> None:
    assert all(r.get("Legacy_Score") is None for r in emulator.records("Leads"))
    load(monkeypatch, emulator, "--modules", "Leads")
    assert column_types("zoho_crm_leads")["legacy_score"] == "BIGINT"


def test_multiselect_picklists_are_json_everywhere(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator)
    tables = dataset_tables()
    for module in ("Leads", "Contacts", "Accounts", "Deals", "Products", "Campaigns"):
        for field in zoho_fields(emulator, module):
            if field["data_type"] == "multiselectpicklist":
                column = NAMING.normalize_path(field["api_name"])
                assert column_types(table_name(module))[column] == "JSON"
                assert f"{table_name(module)}__{column}" not in tables


def test_modules_all_loads_the_custom_module(emulator, monkeypatch) -> None:
    out = load(monkeypatch, emulator, "--modules", "all").out
    assert table_count("zoho_crm_vehicles") == emulator.count("Vehicles") > 0
    assert_table_mirrors(emulator.records("Vehicles"), "zoho_crm_vehicles")
    assert "zoho_crm_users" in out
    tables = dataset_tables()
    assert "zoho_crm_quoted_items" not in tables and "zoho_crm_contacts_x_deals" not in tables  # subform/linking


def test_modules_all_from_config(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, modules="all")
    assert table_count("zoho_crm_vehicles") == emulator.count("Vehicles")


def test_field_added_in_zoho_appears_as_a_typed_column_next_run(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    emulator.advance(3)
    changed = emulator.add_field("Deals", "Renewal_Date", "date", values=lambda i: f"2027-0{i % 9 + 1}-15")
    emulator.add_field("Deals", "Churn_Risk", "double")  # added, but empty everywhere
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Deals")
    types = column_types("zoho_crm_deals")
    assert types["renewal_date"] == "DATE" and types["churn_risk"] == "DOUBLE"
    assert changed
    assert_table_mirrors(emulator.records("Deals"), "zoho_crm_deals")


def test_field_removed_in_zoho_keeps_its_column_with_nulls_from_then_on(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    assert "description" in column_types("zoho_crm_deals")
    emulator.remove_field("Deals", "Description")
    emulator.advance(3)
    touched = emulator.touch("Deals", n=2)
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Deals")
    assert "description" in column_types("zoho_crm_deals")
    ids = ", ".join(f"'{i}'" for i in touched)
    assert query(f"SELECT count(*) FROM zoho_crm_deals WHERE id IN ({ids}) AND description IS NULL")[0][0] == 2


def test_value_whose_type_changes_lands_in_a_variant_column(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    emulator.advance(3)
    emulator.add_field("Deals", "Seats", "integer", values=lambda i: "unlimited" if i % 2 else i)
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Deals")
    types = column_types("zoho_crm_deals")
    assert types["seats"] == "BIGINT" and types["seats__v_text"] == "VARCHAR"
    assert query("SELECT count(*) FROM zoho_crm_deals WHERE seats__v_text = 'unlimited'")[0][0] > 0


def test_users_are_loaded_incrementally_and_merged(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Users")
    users = [u for u in emulator.users() if u["status"] != "deleted"]  # type=AllUsers: active and inactive
    assert {r[0] for r in query("SELECT id FROM zoho_crm_users")} == {u["id"] for u in users}
    assert column_types("zoho_crm_users")["modified_time"] == "TIMESTAMP WITH TIME ZONE"
    emulator.reset_stats()
    load(monkeypatch, emulator, "--modules", "Users")
    assert emulator.stats()["calls"]["users"] == 1
    assert table_count("zoho_crm_users") == len(users)


@pytest.mark.parametrize("mode", ["hard", "keep"])
def test_deleted_records_are_logged_and_applied_per_delete_mode(emulator, monkeypatch, mode) -> None:
    load(monkeypatch, emulator, "--modules", "Quotes,Leads", delete_mode=mode)
    quote = emulator.records("Quotes")[0]
    item_ids = {str(i["id"]) for i in quote["Quoted_Items"]}
    emulator.advance(3)
    deleted_quote = emulator.delete("Quotes", ids=[quote["id"]])
    deleted_leads = emulator.delete("Leads", n=2, permanent=True)
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Quotes,Leads", delete_mode=mode)

    log = query("SELECT module, id, type, deleted_time FROM zoho_crm_deleted_records")
    logged = {(m, i): t for m, i, t, _ in log}
    assert logged[("Quotes", deleted_quote[0])] == "recycle"
    assert all(logged[("Leads", i)] == "permanent" for i in deleted_leads)
    assert column_types("zoho_crm_deleted_records")["deleted_time"] == "TIMESTAMP WITH TIME ZONE"

    quote_rows = {r[0] for r in query("SELECT id FROM zoho_crm_quotes")}
    item_rows = {r[0] for r in query("SELECT id FROM zoho_crm_quotes__quoted_items")}
    lead_rows = {r[0] for r in query("SELECT id FROM zoho_crm_leads")}
    if mode == "hard":
        assert quote["id"] not in quote_rows and not item_ids & item_rows  # child rows go too
        assert not set(deleted_leads) & lead_rows
        assert_table_mirrors(emulator.records("Quotes"), "zoho_crm_quotes")
    else:
        assert quote["id"] in quote_rows and item_ids <= item_rows
        assert set(deleted_leads) <= lead_rows


def test_record_restored_from_the_recycle_bin_comes_back(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    emulator.advance(3)
    (deal,) = emulator.delete("Deals", n=1)
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Deals")
    assert deal not in {r[0] for r in query("SELECT id FROM zoho_crm_deals")}
    emulator.advance(3)
    emulator.restore("Deals", [deal])
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Deals")
    assert_table_mirrors(emulator.records("Deals"), "zoho_crm_deals")


def test_metadata_is_read_once_per_run_and_counted_in_the_summary(make_emulator, monkeypatch) -> None:
    emu = make_emulator(default_records=3, records_per_module={"Leads": 900})
    out = load(monkeypatch, emu, "--modules", "Leads,Deals", SETTINGS_TABLES="none").out
    calls = emu.stats()["calls"]
    # Leads, Deals and Deals' stage history (DealHistory: a few rows, one detail call)
    assert calls["fields_meta"] == 3 and calls["modules_meta"] == 1 and calls["detail"] == 9 + 1 + 1
    summary = next(line for line in out.splitlines() if line.startswith("API calls:"))
    assert "metadata 4" in summary and "deleted 3" in summary and "detail 11" in summary


def test_stale_deletion_sync_warns_about_zoho_60_day_retention(make_emulator, monkeypatch, caplog) -> None:
    import datetime

    emu = make_emulator(default_records=3)
    emu.set_now(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=75))
    load(monkeypatch, emu, "--modules", "Deals")
    emu.unfreeze()
    emu.set_now(datetime.datetime.now(datetime.timezone.utc))
    with caplog.at_level("WARNING"):
        load(monkeypatch, emu, "--modules", "Deals")
    assert "Zoho lists deleted records for 60 days" in caplog.text and "Deals" in caplog.text


def test_line_items_and_subform_rows_are_typed_from_their_module_metadata(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Quotes,Purchase_Orders,Accounts")
    items = column_types("zoho_crm_quotes__quoted_items")
    assert items["quantity"] == "DOUBLE" and items["list_price"].startswith("DECIMAL")
    assert items["created_time"] == "TIMESTAMP WITH TIME ZONE" and items["id"] == "VARCHAR"
    assert items["product_name__id"] == "VARCHAR" and items["sequence_number"] == "BIGINT"
    purchased = column_types("zoho_crm_purchase_orders__purchased_items")  # rows of module Purchase_Items
    assert purchased["quantity"] == "DOUBLE" and purchased["net_total"].startswith("DECIMAL")
    subform = {f["api_name"]: f["data_type"] for f in zoho_fields(emulator, "Subform_1")}
    rows = column_types("zoho_crm_accounts__subform_1")
    for name, data_type in subform.items():
        if data_type in EXPECTED and NAMING.normalize_path(name) in rows:
            assert rows[NAMING.normalize_path(name)].startswith(EXPECTED[data_type][1]), name


def test_more_deletions_than_zoho_pages_through_warn_and_the_run_goes_on(make_emulator, monkeypatch, caplog) -> None:
    emu = make_emulator(default_records=3, records_per_module={"Leads": 450}, deleted_page_limit=200)
    load(monkeypatch, emu, "--modules", "Leads")
    emu.advance(3)
    emu.delete("Leads", n=300)
    emu.advance(2)
    with caplog.at_level("WARNING"):
        load(monkeypatch, emu, "--modules", "Leads")
    assert "More deletions of Leads since the last sync than Zoho pages through" in caplog.text
    assert query("SELECT count(*) FROM zoho_crm_deleted_records WHERE module = 'Leads'")[0][0] >= 200
    emu.advance(3)
    emu.touch("Leads", n=2)
    emu.advance(2)
    load(monkeypatch, emu, "--modules", "Leads")  # later runs are not stuck
