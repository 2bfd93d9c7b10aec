"""The pipeline end to end: CLI + env config -> real HTTP -> emulator -> DuckDB."""

import pendulum
import pytest

from tests.e2e.helpers import column_types, configure_env, list_calls, load, query, run_cli, table_count
from tests.e2e.mirror import assert_table_mirrors
from zoho_crm import table_name
from zoho_crm.settings import DEFAULT_MODULES

LINE_ITEMS = {
    "Quotes": "Quoted_Items",
    "Invoices": "Invoiced_Items",
    "Sales_Orders": "Ordered_Items",
    "Purchase_Orders": "Purchased_Items",
}


def test_first_run_mirrors_all_17_modules_value_by_value(emulator, monkeypatch) -> None:
    out = load(monkeypatch, emulator).out
    for module in DEFAULT_MODULES:
        assert_table_mirrors(emulator.records(module), table_name(module))
    assert "API calls:" in out and "Elapsed:" in out
    assert "zoho_crm_leads" in out


def test_ids_stay_text_and_datetimes_land_as_utc_timestamps(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    types = column_types("zoho_crm_deals")
    assert types["id"] == "VARCHAR" and types["owner__id"] == "VARCHAR"
    assert types["modified_time"] == "TIMESTAMP WITH TIME ZONE"
    record = emulator.records("Deals")[0]
    (stored,) = query(f"SELECT modified_time FROM zoho_crm_deals WHERE id = '{record['id']}'")[0]
    assert stored == pendulum.parse(record["Modified_Time"])  # same instant, whatever the Zoho user's offset
    assert stored.utcoffset() is not None


def test_line_items_and_their_taxes_land_in_child_tables(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", ",".join([*LINE_ITEMS, "Price_Books"]))
    for module, field in LINE_ITEMS.items():
        records = emulator.records(module)
        items = [item for r in records for item in (r.get(field) or [])]
        taxes = [tax for item in items for tax in (item.get("Line_Tax") or [])]
        table = f"{table_name(module)}__{field.lower()}"
        assert table_count(table) == len(items) > 0
        assert table_count(f"{table}__line_tax") == len(taxes)
        item_ids = {r[0] for r in query(f"SELECT id FROM {table}")}
        assert item_ids == {str(item["id"]) for item in items}
    pricing = [p for r in emulator.records("Price_Books") for p in (r.get("Pricing_Details") or [])]
    assert table_count("zoho_crm_price_books__pricing_details") == len(pricing) > 0


def test_second_run_without_changes_makes_one_list_call_per_module_and_loads_nothing(
    emulator,
    monkeypatch,
) -> None:
    load(monkeypatch, emulator)
    emulator.reset_stats()
    out = load(monkeypatch, emulator).out
    assert list_calls(emulator) == {module: 1 for module in [*DEFAULT_MODULES, "DealHistory"]}  # + Deals' stage history
    assert emulator.stats()["calls"].get("detail", 0) == 0
    assert emulator.stats()["calls"].get("fields_meta", 0) == 0  # no field metadata without changes
    assert "Loaded 0 rows" in out


def test_second_run_loads_only_what_changed(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Leads,Deals,Quotes")
    emulator.advance(5)
    touched = emulator.touch("Leads", n=3)
    added = emulator.add("Deals", n=2)
    quote = emulator.touch("Quotes", n=1)
    emulator.advance(2)
    emulator.reset_stats()
    load(monkeypatch, emulator, "--modules", "Leads,Deals,Quotes")
    detail_ids = {
        module: sorted(i for r in emulator.requests if r["kind"] == "detail" and r["path"].endswith(f"/{module}")
                       for i in r["params"]["ids"].split(","))
        for module in ("Leads", "Deals", "Quotes", "DealHistory")
    }
    first_stays = [h["id"] for h in emulator.records("DealHistory") if h["Deal_Name"]["id"] in added]
    assert detail_ids == {
        "Leads": sorted(touched), "Deals": sorted(added), "Quotes": sorted(quote), "DealHistory": sorted(first_stays)
    }
    for module in ("Leads", "Deals", "Quotes"):
        assert_table_mirrors(emulator.records(module), table_name(module))
    items = {str(i["id"]) for r in emulator.records("Quotes") for i in r["Quoted_Items"]}
    assert {r[0] for r in query("SELECT id FROM zoho_crm_quotes__quoted_items")} == items  # no stale line items


def test_converted_leads_are_loaded(make_emulator, monkeypatch) -> None:
    emu = make_emulator(default_records=3, records_per_module={"Leads": 40})
    converted = emu.convert_leads(n=4)
    emu.advance(2)
    load(monkeypatch, emu, "--modules", "Leads")
    assert table_count("zoho_crm_leads") == emu.count("Leads")
    stored = {r[0] for r in query("SELECT id FROM zoho_crm_leads WHERE converted__s")}
    assert set(converted) <= stored


def test_2500_leads_past_the_page_limit_load_exactly_once(make_emulator, monkeypatch) -> None:
    emu = make_emulator(default_records=5, records_per_module={"Leads": 2500})
    load(monkeypatch, emu, "--modules", "Leads,Quotes,Invoices,Sales_Orders,Purchase_Orders")
    assert query("SELECT count(*), count(DISTINCT id) FROM zoho_crm_leads")[0] == (2500, 2500)
    assert {r[0] for r in query("SELECT id FROM zoho_crm_leads")} == emu.record_ids("Leads")
    assert list_calls(emu)["Leads"] == 13
    assert emu.stats()["calls"]["detail"] == 25 + 4


def test_records_touched_in_the_cursor_second_are_not_lost_when_zoho_is_strictly_after(
    make_emulator,
    monkeypatch,
) -> None:
    emu = make_emulator(ims_inclusive=False, records_per_module={"Leads": 30})
    load(monkeypatch, emu, "--modules", "Leads")
    cursor = max(pendulum.parse(r["Modified_Time"]) for r in emu.records("Leads"))
    newest = {r["id"] for r in emu.records("Leads") if pendulum.parse(r["Modified_Time"]) == cursor}
    others = [r["id"] for r in emu.records("Leads") if r["id"] not in newest][:3]
    emu.touch("Leads", ids=others, at=cursor)  # same second as the stored cursor
    load(monkeypatch, emu, "--modules", "Leads")
    assert_table_mirrors(emu.records("Leads"), "zoho_crm_leads")


@pytest.mark.parametrize("inclusive", [True, False])
def test_incremental_is_lossless_whatever_the_if_modified_since_boundary(
    make_emulator,
    monkeypatch,
    inclusive,
) -> None:
    emu = make_emulator(ims_inclusive=inclusive, records_per_module={"Deals": 50})
    load(monkeypatch, emu, "--modules", "Deals")
    for _ in range(3):
        emu.advance(1)
        emu.touch("Deals", n=4)
        emu.add("Deals", n=1)
        emu.advance(1)
        load(monkeypatch, emu, "--modules", "Deals")
        assert_table_mirrors(emu.records("Deals"), "zoho_crm_deals")


def test_record_edited_twice_in_the_listing_second_keeps_its_last_version(make_emulator, monkeypatch) -> None:
    emu = make_emulator(records_per_module={"Leads": 20})
    now = emu.now().replace(microsecond=0)
    emu.set_now(now)
    load(monkeypatch, emu, "--modules", "Leads")
    (lead,) = emu.touch("Leads", n=1, at=now)  # edited in the very second the next listing runs
    load(monkeypatch, emu, "--modules", "Leads")
    emu.touch("Leads", ids=[lead], at=now)  # edited again, same second: Modified_Time does not move
    emu.advance(2)
    load(monkeypatch, emu, "--modules", "Leads")
    assert_table_mirrors(emu.records("Leads"), "zoho_crm_leads")


def test_a_thousand_records_sharing_one_second_load_completely(make_emulator, monkeypatch) -> None:
    emu = make_emulator(default_records=2, records_per_module={"Leads": 1000})
    load(monkeypatch, emu, "--modules", "Leads")
    emu.advance(5)
    emu.mass_update("Leads", n=1000)
    emu.advance(2)
    emu.reset_stats()
    load(monkeypatch, emu, "--modules", "Leads")
    assert emu.stats()["calls"]["detail"] == 10
    assert_table_mirrors(emu.records("Leads"), "zoho_crm_leads")
    emu.reset_stats()
    out = load(monkeypatch, emu, "--modules", "Leads").out
    assert "Loaded 0 rows" in out and emu.stats()["calls"].get("detail", 0) == 0


@pytest.mark.parametrize(
    "setting",
    [
        {"next_page_token_mode": "after_discrete_limit"},
        {"token_record_cap": 1000},
        {"ids_require_fields": True},
        {"ids_full_records": False},
        {"ims_nothing_status": 204},
        {"tz_offset": "-11:00"},
    ],
    ids=lambda s: next(iter(s)),
)
def test_pipeline_is_exact_under_each_unconfirmed_zoho_behaviour(make_emulator, monkeypatch, setting) -> None:
    emu = make_emulator(default_records=3, records_per_module={"Leads": 2300, "Quotes": 30}, **setting)
    load(monkeypatch, emu, "--modules", "Leads,Quotes")
    # `$` keys are not fields: absent when records are read field by field or in list shape
    system_keys = not ({"ids_require_fields", "ids_full_records"} & set(setting))
    assert_table_mirrors(emu.records("Leads"), "zoho_crm_leads", system_keys)
    assert_table_mirrors(emu.records("Quotes"), "zoho_crm_quotes", system_keys)
    items = sum(len(r["Quoted_Items"]) for r in emu.records("Quotes"))
    assert table_count("zoho_crm_quotes__quoted_items") == items
    emu.advance(3)
    emu.touch("Leads", n=5)
    emu.advance(2)
    load(monkeypatch, emu, "--modules", "Leads,Quotes")
    assert_table_mirrors(emu.records("Leads"), "zoho_crm_leads", system_keys)


def test_access_token_expiring_mid_run_is_refreshed_without_throttling(make_emulator, monkeypatch) -> None:
    emu = make_emulator(default_records=40, token_lifetime=1, latency_ms=20)
    load(monkeypatch, emu)
    assert 2 <= emu.stats()["calls"]["token"] <= 10
    for module in DEFAULT_MODULES:
        assert table_count(table_name(module)) == emu.count(module)


def test_throttling_server_errors_and_dropped_connections_are_survived(make_emulator, monkeypatch) -> None:
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "8")
    emu = make_emulator(
        default_records=30, rate_429=0.1, rate_500=0.05, rate_drop=0.03, concurrency_limit=3, fault_seed=11
    )
    load(monkeypatch, emu)
    for module in DEFAULT_MODULES:
        assert {r[0] for r in query(f"SELECT id FROM {table_name(module)}")} == emu.record_ids(module)


def test_full_refresh_drops_state_and_reloads_everything(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Leads,Deals")
    emulator.reset_stats()
    out = load(monkeypatch, emulator, "--modules", "Leads,Deals", "--full-refresh").out
    lists = [req for req in emulator.requests if req["kind"] == "list"]
    assert len(lists) == 3 and all("If-Modified-Since" not in req["headers"] for req in lists)  # + DealHistory
    line = next(line.split() for line in out.splitlines() if line.strip().startswith("zoho_crm_leads "))
    assert line[:2] == ["zoho_crm_leads", str(emulator.count("Leads"))]
    assert_table_mirrors(emulator.records("Leads"), "zoho_crm_leads")


def test_summary_reports_rows_and_deletions_per_table(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    emulator.advance(3)
    touched = emulator.touch("Deals", n=3)
    emulator.delete("Deals", ids=[i for i in emulator.record_ids("Deals") if i not in touched][:2])
    emulator.advance(2)
    out = load(monkeypatch, emulator, "--modules", "Deals").out
    line = next(line for line in out.splitlines() if line.strip().startswith("zoho_crm_deals "))
    assert line.split() == ["zoho_crm_deals", "3", "(2", "deleted)"]
    assert "zoho_crm_deleted_records" in out


def test_change_made_in_the_listing_second_is_loaded_at_once_and_refetched_next_run(make_emulator, monkeypatch) -> None:
    emu = make_emulator(records_per_module={"Leads": 20})
    now = emu.now().replace(microsecond=0)
    emu.set_now(now)
    load(monkeypatch, emu, "--modules", "Leads")
    (lead,) = emu.touch("Leads", n=1, at=now)  # the listing below runs in this very second
    load(monkeypatch, emu, "--modules", "Leads")
    assert_table_mirrors(emu.records("Leads"), "zoho_crm_leads")  # loaded at once
    emu.advance(2)
    emu.reset_stats()
    load(monkeypatch, emu, "--modules", "Leads")
    assert [req["params"]["ids"] for req in emu.requests if req["kind"] == "detail"] == [lead]  # fetched once more
    emu.reset_stats()
    load(monkeypatch, emu, "--modules", "Leads")
    assert emu.stats()["calls"].get("detail", 0) == 0  # then settled


def test_pointing_the_pipeline_at_another_zoho_rebuilds_the_mirror(make_emulator, monkeypatch) -> None:
    first = make_emulator(seed=1, records_per_module={"Leads": 30})
    load(monkeypatch, first, "--modules", "Leads")
    second = make_emulator(seed=2, records_per_module={"Leads": 12})
    configure_env(monkeypatch, second)
    code, _, err = run_cli("--modules", "Leads")
    assert code == 0 and "dropping its tables and cursors" in err
    assert_table_mirrors(second.records("Leads"), "zoho_crm_leads")  # no rows of the first org left
    code, _, err = run_cli("--modules", "Leads")
    assert code == 0 and "dropping" not in err
